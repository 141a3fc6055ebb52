"""The base of the wrapper recipes beside this folder (python_requires "tessera-debian/1.0").

A wrapper is a Conan package standing for a library Debian has installed, so that Tessera's recipe
can be created where ConanCenter cannot be reached (create.sh). It packages no files. Its
package_info() names Debian's libraries under ConanCenter's CMake names, so CMakeDeps writes the
config files and targets Tessera's CMake looks for, with their link information: [platform_requires]
drops that information, and a static libtessera's consumers then fail to link its dependencies.

Its version is the one dpkg reports for its Debian packages, so a requirement it satisfies is one the
system really meets.
"""
import re
import subprocess

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration


def debian_version(package):
    """The upstream version of an installed Debian package (1:3.0.19-1~deb12u2 -> 3.0.19), else None."""
    try:
        query = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", package],
                               capture_output=True, text=True, check=False)
    except FileNotFoundError:  # not a Debian system
        return None
    # Epoch, "+ds"/"~ds"/"+repack" repackaging suffixes and the Debian revision are not upstream's.
    match = re.fullmatch(r"install ok installed (?:\d+:)?(\d+(?:\.\d+)*)\S*", query.stdout.strip())
    return match.group(1) if match else None


class DebianLibrary:
    # Set by each wrapper: its Debian packages; the first one's version is the wrapper's.
    debian_packages = ()
    # Never uploaded: the package would promise a library that only a machine like this one has.
    # (It also keeps Conan from asking remotes for its binary.)
    upload_policy = "skip"
    build_policy = "missing"

    def set_version(self):
        version = debian_version(self.debian_packages[0])
        if not version:
            raise ConanException(f"{self.name}: the Debian package {self.debian_packages[0]} is not installed "
                                 f"(apt-get install {' '.join(self.debian_packages)})")
        self.version = version

    def validate(self):
        # Checked again when used, not only when exported: a Debian update (libssl-dev's point
        # releases) or a removed package must not leave a wrapper claiming what is no longer there.
        for package in self.debian_packages:
            installed = debian_version(package)
            if installed != str(self.version):
                raise ConanInvalidConfiguration(
                    f"{self.name}/{self.version} wraps Debian's {package}, which is "
                    + (f"now {installed}: export the wrapper again" if installed else "not installed"))

    def system_library(self, cpp_info, libs=()):
        """Declares Debian's libraries (-l<name>) on cpp_info or one of its components.

        No include, lib or bin directories: Debian's are the compiler's and linker's default search
        paths, and naming /usr/include as -isystem breaks libstdc++'s #include_next <stdlib.h>.
        (Conan's defaults, include/ and lib/ in the empty package, would be missing directories,
        which CMake rejects on imported targets.)"""
        cpp_info.system_libs = list(libs)
        cpp_info.includedirs = []
        cpp_info.libdirs = []
        cpp_info.bindirs = []
        cpp_info.resdirs = []
        cpp_info.builddirs = []
        cpp_info.frameworkdirs = []


class TesseraDebianBase(ConanFile):
    name = "tessera-debian"
    version = "1.0"
    package_type = "python-require"
