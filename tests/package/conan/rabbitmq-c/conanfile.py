"""Debian 12's rabbitmq-c (librabbitmq-dev) as the Conan package rabbitmq-c, under ConanCenter's
CMake names for a shared build: find_package(rabbitmq-c CONFIG), target rabbitmq::rabbitmq."""
from conan import ConanFile


class DebianRabbitmqC(ConanFile):
    name = "rabbitmq-c"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("librabbitmq-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "rabbitmq-c")
        self.cpp_info.set_property("cmake_target_name", "rabbitmq::rabbitmq")
        self.cpp_info.set_property("pkg_config_name", "librabbitmq")
        self.system_library(self.cpp_info, ["rabbitmq"])
