"""Conan 2 recipe for Tessera.

    conan create .                         build the package, then its test package (tests/package)
    conan create . -o "tessera/*:with_redis=False" -o "tessera/*:shared=True"
    conan install . --build=missing        dependencies for a local build (cmake --preset conan-release);
                                           add -c tools.build:skip_test=False to build the tests too

Requirements are ConanCenter's packages at the versions Debian 12 ships (what CI builds against);
where ConanCenter has no such version, the nearest compatible one. Without ConanCenter,
tests/package/conan/create.sh CONAN runs conan create against Debian's own libraries (CI does).
"""
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir, save

required_conan_version = ">=2.0"


class TesseraConan(ConanFile):
    name = "tessera"
    description = "JSON resources defined by JSON Schema: a C++20 library and a thin REST server"
    license = "MIT"
    topics = ("json", "json-schema", "rest", "etag", "redis", "rabbitmq")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    # with_* mirror the CMake options TESSERA_WITH_* (all on by default, as there). A part left out
    # keeps its API; opening it answers ErrorCode::unsupported. Later modules add theirs the same way
    # (with_ingest -> libvips).
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        "with_redis": [True, False],
        "with_amqp": [True, False],
        # The Elasticsearch search backend; it needs nothing beyond libcurl, which the library links anyway.
        "with_elasticsearch": [True, False],
        # TESSERA_SERVER_JEMALLOC: tessera-server's allocator only; the library stays allocator-neutral.
        "server_jemalloc": [True, False],
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "with_redis": True,
        "with_amqp": True,
        "with_elasticsearch": True,
        "server_jemalloc": True,
    }
    test_package_folder = "tests/package"
    exports_sources = (
        "CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "lib/*", "apps/*", "schemas/*", "tests/*", "examples/*",
    )

    # Sets tessera_WITH_* and tessera_SCHEMAS_DIR for CMake consumers, as TesseraConfig.cmake does in a
    # plain install (CMakeDeps writes its own config instead of Tessera's).
    _variables_module = os.path.join("lib", "cmake", "tessera-variables.cmake")

    def set_version(self):
        # The one home of the version: include/tessera/version.hpp (CMakeLists.txt reads it too).
        header = load(self, os.path.join(self.recipe_folder, "include", "tessera", "version.hpp"))
        parts = [re.search(rf"#define TESSERA_VERSION_{part} (\d+)", header).group(1)
                 for part in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Boost.JSON types appear in Tessera's API: its headers reach consumers.
        self.requires("boost/1.81.0", transitive_headers=True)
        # Private; header-only, so nothing of it reaches consumers.
        self.requires("valijson/1.0", visible=False)
        self.requires("fmt/9.1.0")
        self.requires("sqlite3/3.40.1")
        self.requires("libcurl/7.88.1")
        self.requires("openssl/[>=3.0 <3.1]")  # Debian 12: 3.0.x
        if self.options.with_redis:
            # A range, because the two hiredis Tessera is built with have different versions: CI's
            # is Debian 12's 0.14.1 (tests/package/conan wraps it, under its real version), which
            # ConanCenter never packaged; from ConanCenter this resolves to 1.0.2, 0.14's successor
            # with the same API for what Tessera uses. 1.1 and later are left out until built with.
            self.requires("hiredis/[>=0.14.1 <1.1]")
        if self.options.with_amqp:
            self.requires("rabbitmq-c/0.11.0")
        if self.options.server_jemalloc:
            # Linked into tessera-server alone; nothing of it reaches the library's consumers.
            self.requires("jemalloc/5.3.0", visible=False)

    def build_requirements(self):
        self.test_requires("doctest/2.4.9")

    def validate(self):
        check_min_cppstd(self, 20)

    def _build_tests(self):
        return not self.conf.get("tools.build:skip_test", default=True, check_type=bool)

    def generate(self):
        toolchain = CMakeToolchain(self)  # BUILD_SHARED_LIBS and PIC follow shared/fPIC
        toolchain.cache_variables["TESSERA_WITH_REDIS"] = bool(self.options.with_redis)
        toolchain.cache_variables["TESSERA_WITH_AMQP"] = bool(self.options.with_amqp)
        toolchain.cache_variables["TESSERA_WITH_ELASTICSEARCH"] = bool(self.options.with_elasticsearch)
        toolchain.cache_variables["TESSERA_SERVER_JEMALLOC"] = bool(self.options.server_jemalloc)
        toolchain.cache_variables["TESSERA_BUILD_APPS"] = True
        toolchain.cache_variables["TESSERA_INSTALL"] = True
        toolchain.cache_variables["TESSERA_BUILD_EXAMPLES"] = False
        toolchain.cache_variables["TESSERA_BUILD_TESTS"] = self._build_tests()
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()
        if self._build_tests():
            # The unit tests need no servers (integration and e2e tests start redis-server/rabbitmq-server).
            self.run("ctest --output-on-failure -L unit", cwd=self.build_folder)

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        CMake(self).install()
        # Consumers get CMake and pkg-config files that Conan generates from package_info(); Tessera's
        # own are for installs without Conan.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        # The schemas go to CMAKE_INSTALL_DATADIR: share/, or res/ if the toolchain chose that.
        datadir = "res" if os.path.isdir(os.path.join(self.package_folder, "res", "tessera")) else "share"
        on_off = lambda option: "ON" if option else "OFF"
        save(self, os.path.join(self.package_folder, self._variables_module),
             "# What this Tessera package contains (set by its Conan recipe).\n"
             f"set(tessera_WITH_REDIS {on_off(self.options.with_redis)})\n"
             f"set(tessera_WITH_AMQP {on_off(self.options.with_amqp)})\n"
             f"set(tessera_WITH_ELASTICSEARCH {on_off(self.options.with_elasticsearch)})\n"
             f'set(tessera_SCHEMAS_DIR "${{CMAKE_CURRENT_LIST_DIR}}/../../{datadir}/tessera/schemas")\n')

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "tessera")
        self.cpp_info.set_property("cmake_target_name", "tessera::tessera")
        self.cpp_info.set_property("pkg_config_name", "tessera")
        self.cpp_info.set_property("cmake_build_modules", [self._variables_module])
        self.cpp_info.libs = ["tessera"]
        self.cpp_info.requires = [
            "boost::json", "boost::url", "fmt::fmt", "sqlite3::sqlite3", "libcurl::libcurl", "openssl::crypto",
        ]
        if self.options.with_redis:
            self.cpp_info.requires.append("hiredis::hiredis")
        if self.options.with_amqp:
            self.cpp_info.requires.append("rabbitmq-c::rabbitmq-c")
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread", "m"]
