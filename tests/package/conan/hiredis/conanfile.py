"""Debian 12's hiredis 0.14.1 (libhiredis-dev) as the Conan package hiredis, under ConanCenter's
CMake names: find_package(hiredis CONFIG), target hiredis::hiredis. Its version stays 0.14.1, what
the library is; Tessera's recipe accepts it by a version range (conanfile.py says why)."""
from conan import ConanFile


class DebianHiredis(ConanFile):
    name = "hiredis"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libhiredis-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "hiredis")
        self.cpp_info.set_property("cmake_target_name", "hiredis::hiredis")
        self.cpp_info.set_property("pkg_config_name", "hiredis")
        self.system_library(self.cpp_info, ["hiredis"])
