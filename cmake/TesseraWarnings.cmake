# Warnings for Tessera's own targets, as a private, unexported INTERFACE target so nothing leaks to
# consumers (or to a parent project using add_subdirectory).
add_library(tessera_warnings INTERFACE)
target_compile_options(tessera_warnings INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wswitch-enum -Wno-switch-default>
    $<$<AND:$<BOOL:${TESSERA_WERROR}>,$<CXX_COMPILER_ID:GNU,Clang>>:-Werror>)
# GCC 12 reports -Wrestrict false positives from inside std::string at -O3 (GCC bug 105329; the
# release preset showed a dozen, none in our code): off there, kept for every other compiler.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(tessera_warnings INTERFACE -Wno-restrict)
endif()
