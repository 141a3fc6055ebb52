"""Debian 12's doctest (doctest-dev, header-only) as the Conan package doctest, under ConanCenter's
CMake names: find_package(doctest), target doctest::doctest. Only Tessera's own tests use it, which
conan create builds only with -c tools.build:skip_test=False."""
from conan import ConanFile


class DebianDoctest(ConanFile):
    name = "doctest"
    package_type = "header-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("doctest-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "doctest")
        self.cpp_info.set_property("cmake_target_name", "doctest::doctest")
        self.system_library(self.cpp_info)
