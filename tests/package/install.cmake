# Installs a Tessera build the way a user does, checks what was installed, then moves the tree: the
# consumers then find it at a prefix it was not installed to, which proves it relocatable.
#   cmake -DBUILD_DIR=<build tree> -DPREFIX=<final prefix> -DLIBDIR=<CMAKE_INSTALL_LIBDIR>
#         -DSHARED=ON|OFF -DAPPS=ON|OFF -DWITH_REDIS=ON|OFF -DWITH_AMQP=ON|OFF -P install.cmake
set(staging "${PREFIX}.staging")
file(REMOVE_RECURSE "${staging}" "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${staging}"
                OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)

set(failures "")
set(cmakedir "${LIBDIR}/cmake/tessera")
set(expected
    include/tessera/tessera.hpp include/tessera/model/engine.hpp
    share/tessera/schemas/plan.json
    ${cmakedir}/TesseraConfig.cmake ${cmakedir}/TesseraConfigVersion.cmake ${cmakedir}/TesseraTargets.cmake
    ${cmakedir}/tessera-config.cmake ${cmakedir}/tessera-config-version.cmake ${cmakedir}/FindHiredis.cmake
    ${LIBDIR}/pkgconfig/tessera.pc)
if(SHARED)
    list(APPEND expected ${LIBDIR}/libtessera.so)
    set(unexpected ${LIBDIR}/libtessera.a)
else()
    list(APPEND expected ${LIBDIR}/libtessera.a)
    set(unexpected ${LIBDIR}/libtessera.so)
endif()
if(APPS)
    list(APPEND expected bin/tessera-server bin/tessera)
endif()
foreach(file IN LISTS expected)
    if(NOT EXISTS "${staging}/${file}")
        string(APPEND failures "  missing: ${file}\n")
    endif()
endforeach()
foreach(file IN LISTS unexpected)
    if(EXISTS "${staging}/${file}")
        string(APPEND failures "  unexpected: ${file}\n")
    endif()
endforeach()

# The package files name no absolute path of this machine's trees, nor Tessera's private helpers.
file(GLOB package_files "${staging}/${cmakedir}/*" "${staging}/${LIBDIR}/pkgconfig/*")
get_filename_component(source_dir "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
foreach(file IN LISTS package_files)
    file(READ "${file}" text)
    foreach(path IN ITEMS "${staging}" "${BUILD_DIR}" "${source_dir}")
        string(FIND "${text}" "${path}" position)
        if(NOT position EQUAL -1)
            string(APPEND failures "  ${file} names ${path}: not relocatable\n")
        endif()
    endforeach()
    if(text MATCHES "tessera_warnings|tessera_valijson")
        string(APPEND failures "  ${file} names a private helper target\n")
    endif()
endforeach()

# The config reports what is compiled in.
file(READ "${staging}/${cmakedir}/TesseraConfig.cmake" config)
foreach(setting IN ITEMS "SHARED ${SHARED}" "WITH_REDIS ${WITH_REDIS}" "WITH_AMQP ${WITH_AMQP}")
    string(FIND "${config}" "set(tessera_${setting})" position)
    if(position EQUAL -1)
        string(APPEND failures "  TesseraConfig.cmake does not say set(tessera_${setting})\n")
    endif()
endforeach()

if(failures)
    message(FATAL_ERROR "installed tree ${staging}:\n${failures}")
endif()
file(RENAME "${staging}" "${PREFIX}")
message(STATUS "installed, checked and moved to ${PREFIX}")
