"""Debian 12's jemalloc (libjemalloc-dev) as the Conan package jemalloc, under ConanCenter's CMake
names: find_package(jemalloc CONFIG), target jemalloc::jemalloc (tessera-server's allocator)."""
from conan import ConanFile


class DebianJemalloc(ConanFile):
    name = "jemalloc"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libjemalloc-dev",)

    def package_info(self):
        self.cpp_info.set_property("pkg_config_name", "jemalloc")
        self.system_library(self.cpp_info, ["jemalloc"])
