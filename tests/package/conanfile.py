"""Conan test package for Tessera (the recipe's test_package_folder): builds the CMake project in this
directory against the package just created, with find_package(tessera), and runs it. Without Conan,
Tessera's CI builds the same project against an installed Tessera (register_tests.cmake)."""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class TesseraTestPackage(ConanFile):
    settings = "os", "arch", "compiler", "build_type"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        toolchain = CMakeToolchain(self)
        # No CMakeUserPresets.json in this source directory: the build may live elsewhere
        # (tools.cmake.cmake_layout:test_folder, as tests/package/conan/create.sh sets it), and
        # Tessera's other package tests build this directory too.
        toolchain.user_presets_path = False
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()  # TESSERA_CONSUME defaults to find_package
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "tessera-consumer"), env="conanrun")
