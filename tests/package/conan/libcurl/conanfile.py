"""Debian 12's libcurl (libcurl4-openssl-dev) as the Conan package libcurl, under ConanCenter's CMake
names: find_package(CURL) in config or module mode, target CURL::libcurl. Debian's libcurl.so
brings its own dependencies (OpenSSL, nghttp2, ...) as shared libraries, so none are declared."""
from conan import ConanFile


class DebianLibcurl(ConanFile):
    name = "libcurl"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libcurl4-openssl-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "CURL")
        self.cpp_info.set_property("cmake_target_name", "CURL::libcurl")
        self.cpp_info.set_property("cmake_find_mode", "both")  # CMake has a FindCURL too
        self.cpp_info.set_property("pkg_config_name", "libcurl")
        self.system_library(self.cpp_info, ["curl"])
