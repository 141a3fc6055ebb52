# Install rules and the CMake package; included when TESSERA_INSTALL is ON. An install gives:
#   include/tessera/                  the public headers
#   <libdir>/libtessera.a or .so      static by default, shared with BUILD_SHARED_LIBS=ON
#   bin/tessera-server, bin/tessera   the apps (their install rules are in apps/*/CMakeLists.txt)
#   share/tessera/schemas/            the bundled schemas
#   <libdir>/cmake/tessera/           TesseraConfig.cmake (+ the tessera-config.cmake spelling),
#                                     TesseraConfigVersion.cmake, TesseraTargets*.cmake, FindHiredis.cmake
#   <libdir>/pkgconfig/tessera.pc
# Installed files refer to each other by relative paths only, so an installed tree can be moved.
include(CMakePackageConfigHelpers)

set(TESSERA_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tessera")
set(TESSERA_INSTALL_SCHEMASDIR "${CMAKE_INSTALL_DATADIR}/tessera/schemas")
get_target_property(tessera_library_type tessera TYPE)
if(tessera_library_type STREQUAL "SHARED_LIBRARY")
    set(TESSERA_SHARED ON)
else()
    set(TESSERA_SHARED OFF)
endif()

install(TARGETS tessera EXPORT tessera-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/tessera" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/schemas/" DESTINATION ${TESSERA_INSTALL_SCHEMASDIR}
        FILES_MATCHING PATTERN "*.json")

# The CMake package. find_package(tessera) looks for tessera-config.cmake and find_package(Tessera)
# for TesseraConfig.cmake: the first is a one-line forwarder to the second, so both spellings work.
install(EXPORT tessera-targets NAMESPACE tessera:: FILE TesseraTargets.cmake DESTINATION ${TESSERA_INSTALL_CMAKEDIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/TesseraConfigVersion.cmake"
    COMPATIBILITY SameMinorVersion)  # while 0.x, a minor release may break the API
set(TESSERA_CONFIG_SCHEMAS_DIR "${TESSERA_INSTALL_SCHEMASDIR}")
set(TESSERA_CONFIG_MODULES_DIR "${TESSERA_INSTALL_CMAKEDIR}")
configure_package_config_file(cmake/TesseraConfig.cmake.in "${PROJECT_BINARY_DIR}/install-package/TesseraConfig.cmake"
    INSTALL_DESTINATION "${TESSERA_INSTALL_CMAKEDIR}"
    PATH_VARS TESSERA_CONFIG_SCHEMAS_DIR TESSERA_CONFIG_MODULES_DIR)
install(FILES
    "${PROJECT_BINARY_DIR}/install-package/TesseraConfig.cmake"
    "${PROJECT_BINARY_DIR}/TesseraConfigVersion.cmake"
    cmake/tessera-config.cmake
    cmake/tessera-config-version.cmake
    cmake/FindHiredis.cmake
    DESTINATION "${TESSERA_INSTALL_CMAKEDIR}")

# The same package for the build tree (as fmt does): tessera_DIR=<this build directory> uses the
# targets just built, with the source tree's schemas and FindHiredis.cmake.
export(EXPORT tessera-targets NAMESPACE tessera:: FILE "${PROJECT_BINARY_DIR}/TesseraTargets.cmake")
set(TESSERA_CONFIG_SCHEMAS_DIR "${PROJECT_SOURCE_DIR}/schemas")
set(TESSERA_CONFIG_MODULES_DIR "${PROJECT_SOURCE_DIR}/cmake")
configure_package_config_file(cmake/TesseraConfig.cmake.in "${PROJECT_BINARY_DIR}/TesseraConfig.cmake"
    INSTALL_DESTINATION "${PROJECT_BINARY_DIR}"
    INSTALL_PREFIX "${PROJECT_BINARY_DIR}"
    PATH_VARS TESSERA_CONFIG_SCHEMAS_DIR TESSERA_CONFIG_MODULES_DIR)
configure_file(cmake/tessera-config.cmake "${PROJECT_BINARY_DIR}/tessera-config.cmake" COPYONLY)
configure_file(cmake/tessera-config-version.cmake "${PROJECT_BINARY_DIR}/tessera-config-version.cmake" COPYONLY)

# tessera.pc. Its prefix is computed from the file's own location (${pcfiledir}). Boost ships no .pc
# files, so Boost's libraries are named directly, with -I/-L only outside the compiler's defaults.
file(RELATIVE_PATH TESSERA_PC_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
set(TESSERA_PC_CFLAGS "")
set(TESSERA_PC_LIBS " -lboost_json")
if(Boost_INCLUDE_DIRS AND NOT Boost_INCLUDE_DIRS IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(PREPEND TESSERA_PC_CFLAGS " -I${Boost_INCLUDE_DIRS}")
endif()
if(boost_json_DIR)  # <boost libdir>/cmake/boost_json-X.Y.Z
    cmake_path(GET boost_json_DIR PARENT_PATH boost_cmake_dir)
    cmake_path(GET boost_cmake_dir PARENT_PATH boost_library_dir)
    if(NOT boost_library_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
        string(PREPEND TESSERA_PC_LIBS " -L${boost_library_dir}")
    endif()
endif()
# A static libtessera also needs, for `pkg-config --static`, the libraries it links privately: the
# list of lib/CMakeLists.txt, as in TesseraConfig.cmake. They go in Libs.private rather than
# Requires.private: Tessera links them as the (shared) libraries it was built with, while
# Requires.private would make --static pull each one's own static dependencies too (Debian's
# libcurl.pc alone names seven -dev packages that are not needed otherwise). Their headers stay
# private, so consumers need none of their Cflags.
set(TESSERA_PC_LIBS_PRIVATE "")
if(NOT TESSERA_SHARED)
    set(TESSERA_PC_LIBS_PRIVATE " -lboost_url -lfmt -lsqlite3 -lcurl -lcrypto")
    if(TESSERA_WITH_REDIS)
        string(APPEND TESSERA_PC_LIBS_PRIVATE " -lhiredis")
    endif()
    if(TESSERA_WITH_AMQP)
        string(APPEND TESSERA_PC_LIBS_PRIVATE " -lrabbitmq")
    endif()
    if(CMAKE_THREAD_LIBS_INIT)  # empty with glibc >= 2.34, where threads live in libc
        string(APPEND TESSERA_PC_LIBS_PRIVATE " ${CMAKE_THREAD_LIBS_INIT}")
    endif()
endif()
configure_file(cmake/tessera.pc.in "${PROJECT_BINARY_DIR}/tessera.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tessera.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
