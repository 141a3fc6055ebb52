"""Debian 12's OpenSSL 3.0 (libssl-dev) as the Conan package openssl, under ConanCenter's names:
find_package(OpenSSL) in config or module mode, components crypto (OpenSSL::Crypto) and ssl
(OpenSSL::SSL). The version follows Debian's point releases (3.0.x), which the recipe's range allows."""
from conan import ConanFile


class DebianOpenssl(ConanFile):
    name = "openssl"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libssl-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "OpenSSL")
        self.cpp_info.set_property("cmake_find_mode", "both")  # CMake has a FindOpenSSL too
        self.cpp_info.set_property("pkg_config_name", "openssl")
        self.system_library(self.cpp_info)
        crypto = self.cpp_info.components["crypto"]
        crypto.set_property("cmake_target_name", "OpenSSL::Crypto")
        crypto.set_property("pkg_config_name", "libcrypto")
        self.system_library(crypto, ["crypto"])
        ssl = self.cpp_info.components["ssl"]
        ssl.set_property("cmake_target_name", "OpenSSL::SSL")
        ssl.set_property("pkg_config_name", "libssl")
        self.system_library(ssl, ["ssl"])
        ssl.requires = ["crypto"]
