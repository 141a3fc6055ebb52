"""Debian 12's Boost 1.81 as the Conan package boost, under ConanCenter's CMake names:
find_package(Boost CONFIG COMPONENTS json url), targets Boost::headers, Boost::json, Boost::url.
Only the parts Tessera uses; the rest of Boost is headers (Beast, Asio) and comes with Boost::headers."""
from conan import ConanFile


class DebianBoost(ConanFile):
    name = "boost"
    package_type = "shared-library"
    python_requires = "tessera-debian/1.0"
    python_requires_extend = "tessera-debian.DebianLibrary"
    debian_packages = ("libboost1.81-dev", "libboost-json1.81-dev", "libboost-url1.81-dev")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "Boost")
        self.cpp_info.set_property("cmake_target_name", "Boost::boost")
        self.system_library(self.cpp_info)
        headers = self.cpp_info.components["headers"]
        headers.set_property("cmake_target_name", "Boost::headers")
        self.system_library(headers)
        # Debian's libboost_json and libboost_url need no other Boost library (ldd).
        for component in ("json", "url"):
            library = self.cpp_info.components[component]
            library.set_property("cmake_target_name", f"Boost::{component}")
            self.system_library(library, [f"boost_{component}"])
            library.requires = ["headers"]
