# Package tests (label `package`): Tessera installed, found and linked the ways its users do it.
# Included from tests/CMakeLists.txt; the CMake project in this directory is the program they build
# (and Conan's test package).
#
# On the sources:
#   package.headers            no public header includes a private dependency; the umbrella has all
#   package.headers_compile    each public header compiles on its own (target tessera-header-check)
#   package.readme             README's CMake snippets are what tests/package builds
#   package.conan              `conan create` of the sources, test package included, against Debian's
#                              libraries (conan/create.sh); skipped unless TESSERA_CONAN names a Conan 2
# This build installed (static libtessera, all options as configured):
#   package.install            cmake --install; layout, relocatability and reported options checked;
#                              then the tree is moved, and the tests below use it where it was moved to
#   package.find_package       tests/package against the installed tree (find_package, both spellings)
#   package.build_tree         tests/package against this build tree (tessera_DIR, no install)
#   package.examples           examples/ configured with CMAKE_PREFIX_PATH=<prefix>, built and run
#   package.pkg_config         main.cpp as one file with `pkg-config --static --cflags --libs tessera`
#   package.installed_server   README's server commands against the installed tessera-server
# One more build of the library, the only one: shared, and without Redis:
#   package.subproject         tests/package with FetchContent over this source tree (BUILD_SHARED_LIBS,
#                              TESSERA_WITH_REDIS=OFF): nothing leaks into the parent, redis:// answers
#                              `unsupported`
#   package.shared.install     that build installed (the parent sets TESSERA_INSTALL=ON)
#   package.shared.examples    examples/ against it
#   package.shared.pkg_config  main.cpp as one file with `pkg-config --cflags --libs tessera`
set(package_source "${CMAKE_CURRENT_SOURCE_DIR}/package")
set(package_work "${CMAKE_CURRENT_BINARY_DIR}/package")
set(static_prefix "${package_work}/static/prefix")
set(shared_prefix "${package_work}/shared/prefix")
set(example_flags "")
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    set(example_flags "-Wall -Wextra -Wpedantic")
    if(TESSERA_WERROR)
        string(APPEND example_flags " -Werror")
    endif()
endif()

function(tessera_package_test name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "COMMAND;SETUP;REQUIRES")
    add_test(NAME ${name} COMMAND ${arg_COMMAND})
    set_tests_properties(${name} PROPERTIES LABELS package)
    if(arg_SETUP)
        set_tests_properties(${name} PROPERTIES FIXTURES_SETUP "${arg_SETUP}")
    endif()
    if(arg_REQUIRES)
        set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${arg_REQUIRES}")
    endif()
endfunction()

# Configures and builds a CMake project in its own build directory (ctest --build-and-test, as fmt's
# package tests do), then runs RUN. Incremental: a second ctest run rebuilds only what changed. Builds
# take both cores (PROCESSORS), so they do not run beside each other or the timing-sensitive tests.
function(tessera_package_build name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;BINARY" "OPTIONS;RUN;SETUP;REQUIRES")
    tessera_package_test(${name} SETUP ${arg_SETUP} REQUIRES ${arg_REQUIRES} COMMAND
        ${CMAKE_CTEST_COMMAND} --build-and-test "${arg_SOURCE}" "${arg_BINARY}"
            --build-generator "${CMAKE_GENERATOR}" --build-makeprogram "${CMAKE_MAKE_PROGRAM}" --build-noclean
            --build-options "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}" "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
                            ${arg_OPTIONS}
            --test-command ${arg_RUN})
    set_tests_properties(${name} PROPERTIES PROCESSORS 2)
endfunction()

# Sources.
tessera_package_test(package.headers COMMAND
    ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -P ${package_source}/check_headers.cmake)
tessera_package_test(package.readme COMMAND
    ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -P ${package_source}/check_readme.cmake)

# Every public header compiles on its own, as the first line of a file (Beast's check), and included
# twice (#pragma once): one object file per header, built with everything else. The test only
# confirms the target is built and up to date.
file(GLOB_RECURSE public_headers CONFIGURE_DEPENDS RELATIVE "${PROJECT_SOURCE_DIR}/include"
     "${PROJECT_SOURCE_DIR}/include/tessera/*.hpp")
set(header_check_sources "")
foreach(header IN LISTS public_headers)
    set(source "${package_work}/header_check/${header}.cpp")
    file(CONFIGURE OUTPUT "${source}" CONTENT "#include <${header}>\n#include <${header}>\n")
    list(APPEND header_check_sources "${source}")
endforeach()
add_library(tessera-header-check OBJECT ${header_check_sources})
target_link_libraries(tessera-header-check PRIVATE tessera::tessera tessera_warnings)
tessera_package_test(package.headers_compile COMMAND
    ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target tessera-header-check)

# The Conan recipe, really run: Conan builds its own copy of the library (static, apps, no tests) and
# the test package links and runs against it. TESSERA_CONAN, from the cache or else the environment
# of configure or of ctest (.ci/run sets it), names the Conan 2 executable; with none the driver exits
# 77 and the test shows as skipped. The work directory keeps its own CONAN_HOME between runs.
set(TESSERA_CONAN "$ENV{TESSERA_CONAN}" CACHE FILEPATH "Conan 2 executable for package.conan (empty: skipped)")
tessera_package_test(package.conan COMMAND
    sh ${package_source}/conan/create.sh -w ${package_work}/conan ${TESSERA_CONAN})
# A full build of the library and apps: both cores, and longer than the default timeout allows.
set_tests_properties(package.conan PROPERTIES SKIP_RETURN_CODE 77 PROCESSORS 2 TIMEOUT 2700)

if(NOT TESSERA_INSTALL)
    return()  # no install rules, nothing to install
endif()

# This build, installed.
tessera_package_test(package.install SETUP package_static COMMAND
    ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${static_prefix} -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
        -DSHARED=OFF -DAPPS=${TESSERA_BUILD_APPS} -DWITH_REDIS=${TESSERA_WITH_REDIS} -DWITH_AMQP=${TESSERA_WITH_AMQP}
        -P ${package_source}/install.cmake)
tessera_package_build(package.find_package REQUIRES package_static
    SOURCE ${package_source} BINARY ${package_work}/find_package
    OPTIONS -DCMAKE_PREFIX_PATH=${static_prefix}
    RUN ${package_work}/find_package/tessera-consumer)
tessera_package_build(package.build_tree
    SOURCE ${package_source} BINARY ${package_work}/build_tree
    OPTIONS -Dtessera_DIR=${PROJECT_BINARY_DIR}
    RUN ${package_work}/build_tree/tessera-consumer)
tessera_package_build(package.examples REQUIRES package_static
    SOURCE ${PROJECT_SOURCE_DIR}/examples BINARY ${package_work}/static/examples
    OPTIONS -DCMAKE_PREFIX_PATH=${static_prefix} "-DCMAKE_CXX_FLAGS=${example_flags}"
    RUN ${CMAKE_CTEST_COMMAND} --test-dir ${package_work}/static/examples --output-on-failure)
tessera_package_test(package.pkg_config REQUIRES package_static COMMAND
    ${CMAKE_COMMAND} -DPREFIX=${static_prefix} -DLIBDIR=${CMAKE_INSTALL_LIBDIR} -DCXX=${CMAKE_CXX_COMPILER}
        -DOUTPUT=${package_work}/static/pkg-config-consumer -DSTATIC=ON -P ${package_source}/pkg_config.cmake)
if(TESSERA_BUILD_APPS)
    tessera_package_test(package.installed_server REQUIRES package_static COMMAND
        sh ${package_source}/installed_server.sh ${static_prefix} ${PROJECT_SOURCE_DIR}/examples/data/plan.json
           ${package_work}/static/server)
endif()

# The library built once more, shared and without Redis, as a FetchContent subproject; then installed.
tessera_package_build(package.subproject SETUP package_subproject
    SOURCE ${package_source} BINARY ${package_work}/subproject
    OPTIONS -DTESSERA_CONSUME=fetchcontent -DFETCHCONTENT_SOURCE_DIR_TESSERA=${PROJECT_SOURCE_DIR}
            -DBUILD_SHARED_LIBS=ON -DTESSERA_WITH_REDIS=OFF -DTESSERA_INSTALL=ON -DTESSERA_WERROR=${TESSERA_WERROR}
    RUN ${package_work}/subproject/tessera-consumer)
tessera_package_test(package.shared.install REQUIRES package_subproject SETUP package_shared COMMAND
    ${CMAKE_COMMAND} -DBUILD_DIR=${package_work}/subproject -DPREFIX=${shared_prefix} -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
        -DSHARED=ON -DAPPS=OFF -DWITH_REDIS=OFF -DWITH_AMQP=${TESSERA_WITH_AMQP} -P ${package_source}/install.cmake)
tessera_package_build(package.shared.examples REQUIRES package_shared
    SOURCE ${PROJECT_SOURCE_DIR}/examples BINARY ${package_work}/shared/examples
    OPTIONS -DCMAKE_PREFIX_PATH=${shared_prefix} "-DCMAKE_CXX_FLAGS=${example_flags}"
    RUN ${CMAKE_CTEST_COMMAND} --test-dir ${package_work}/shared/examples --output-on-failure)
tessera_package_test(package.shared.pkg_config REQUIRES package_shared COMMAND
    ${CMAKE_COMMAND} -DPREFIX=${shared_prefix} -DLIBDIR=${CMAKE_INSTALL_LIBDIR} -DCXX=${CMAKE_CXX_COMPILER}
        -DOUTPUT=${package_work}/shared/pkg-config-consumer -DSTATIC=OFF -P ${package_source}/pkg_config.cmake)
