# Warnings for Tessera's own targets, as a private, unexported INTERFACE target so nothing leaks to
# consumers (or to a parent project using add_subdirectory).
add_library(tessera_warnings INTERFACE)
target_compile_options(tessera_warnings INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wswitch-enum -Wno-switch-default>
    $<$<AND:$<BOOL:${TESSERA_WERROR}>,$<CXX_COMPILER_ID:GNU,Clang>>:-Werror>)
