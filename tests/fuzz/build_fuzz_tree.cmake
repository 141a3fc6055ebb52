# ctest's fuzz.build: configures (once) and builds the clang tree that holds the fuzz targets.
# -DSOURCE_DIR= -DBINARY_DIR= -DCLANG=
if(NOT CLANG)
    message(FATAL_ERROR "clang++ was not found: install Debian's clang and libclang-rt-14-dev (cmake/quickstart.sh test does)")
endif()
set(sanitizers "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer")
if(NOT EXISTS "${BINARY_DIR}/CMakeCache.txt")
    execute_process(
        COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G Ninja
                -DCMAKE_CXX_COMPILER=${CLANG} -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=${sanitizers}"
                -DTESSERA_FUZZ=ON -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_APPS=OFF -DTESSERA_BUILD_EXAMPLES=OFF
                -DTESSERA_INSTALL=OFF -DTESSERA_SERVER_JEMALLOC=OFF
        RESULT_VARIABLE configured)
    if(NOT configured EQUAL 0)
        file(REMOVE "${BINARY_DIR}/CMakeCache.txt")
        message(FATAL_ERROR "configuring the fuzz tree failed")
    endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${BINARY_DIR}" --target tessera-fuzz-targets RESULT_VARIABLE built)
if(NOT built EQUAL 0)
    message(FATAL_ERROR "building the fuzz targets failed")
endif()
