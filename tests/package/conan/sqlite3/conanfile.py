"""Debian 12's SQLite (libsqlite3-dev) as the Conan package sqlite3, under ConanCenter's CMake names:
find_package(SQLite3) in config or module mode, target SQLite::SQLite3."""
from conan import ConanFile


class DebianSqlite3(ConanFile):
    name = "sqlite3"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libsqlite3-dev",)

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "SQLite3")
        self.cpp_info.set_property("cmake_target_name", "SQLite::SQLite3")
        self.cpp_info.set_property("cmake_find_mode", "both")  # CMake has a FindSQLite3 too
        self.cpp_info.set_property("pkg_config_name", "sqlite3")
        self.system_library(self.cpp_info, ["sqlite3"])
