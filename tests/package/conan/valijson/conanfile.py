"""Debian 12's valijson (libvalijson-dev, header-only) as the Conan package valijson, under
ConanCenter's CMake names: find_package(valijson CONFIG), target ValiJSON::valijson."""
from conan import ConanFile


class DebianValijson(ConanFile):
    name = "valijson"
    package_type = "header-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libvalijson-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "valijson")
        self.cpp_info.set_property("cmake_target_name", "ValiJSON::valijson")
        self.system_library(self.cpp_info)
