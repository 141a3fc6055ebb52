# Compiles main.cpp (this directory) as a one-file program with the flags pkg-config gives for an
# installed Tessera, then runs it with the schemas directory tessera.pc names:
#   cmake -DPREFIX=<prefix> -DLIBDIR=<CMAKE_INSTALL_LIBDIR> -DCXX=<c++ compiler> -DOUTPUT=<program>
#         -DSTATIC=ON|OFF -P pkg_config.cmake
# STATIC=ON asks `pkg-config --static` (a static libtessera needs its private dependencies too).
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig")
set(arguments --cflags --libs tessera)
if(STATIC)
    list(PREPEND arguments --static)
endif()
execute_process(COMMAND "${PKG_CONFIG}" ${arguments} OUTPUT_VARIABLE flags
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${PKG_CONFIG}" --variable=schemasdir tessera OUTPUT_VARIABLE schemas
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config ${arguments}: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
execute_process(COMMAND "${CXX}" -std=c++20 "${CMAKE_CURRENT_LIST_DIR}/main.cpp" ${flags} -o "${OUTPUT}"
                COMMAND_ERROR_IS_FATAL ANY)
set(ENV{LD_LIBRARY_PATH} "${PREFIX}/${LIBDIR}")  # a shared libtessera outside the loader's path
execute_process(COMMAND "${OUTPUT}" "${schemas}" COMMAND_ERROR_IS_FATAL ANY)
