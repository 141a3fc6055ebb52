"""Conan test package for Tessera (the recipe's test_package_folder): builds the CMake project in this
directory against the package just created, with find_package(tessera), and runs it. Without Conan,
Tessera's CI builds the same project against an installed Tessera (register_tests.cmake)."""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class TesseraTestPackage(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure()  # TESSERA_CONSUME defaults to find_package
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "tessera-consumer"), env="conanrun")
