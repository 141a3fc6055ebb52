"""Debian 12's fmt (libfmt-dev, the compiled libfmt) as the Conan package fmt, under ConanCenter's
CMake names: find_package(fmt), target fmt::fmt."""
from conan import ConanFile


class DebianFmt(ConanFile):
    name = "fmt"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libfmt-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "fmt")
        self.cpp_info.set_property("cmake_target_name", "fmt::fmt")
        self.cpp_info.set_property("pkg_config_name", "fmt")
        self.system_library(self.cpp_info, ["fmt"])
