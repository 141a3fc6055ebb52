# FindHiredis: defines the imported target Hiredis::hiredis (and Hiredis_FOUND).
# hiredis >= 1.0 (and Conan's CMakeDeps) provide a config with the target hiredis::hiredis, which is
# used when present; Debian's hiredis 0.14 ships a config that defines variables but no target, so
# the library is then looked up directly. Installed with Tessera: a static libtessera's consumers
# link hiredis too.
find_package(hiredis CONFIG QUIET)
if(TARGET hiredis::hiredis)
    include(FindPackageHandleStandardArgs)
    find_package_handle_standard_args(Hiredis REQUIRED_VARS hiredis_CONFIG VERSION_VAR hiredis_VERSION)
    if(NOT TARGET Hiredis::hiredis)
        add_library(Hiredis::hiredis INTERFACE IMPORTED)
        target_link_libraries(Hiredis::hiredis INTERFACE hiredis::hiredis)
    endif()
    return()
endif()

find_path(Hiredis_INCLUDE_DIR hiredis/hiredis.h)
find_library(Hiredis_LIBRARY NAMES hiredis)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Hiredis REQUIRED_VARS Hiredis_LIBRARY Hiredis_INCLUDE_DIR)
if(Hiredis_FOUND AND NOT TARGET Hiredis::hiredis)
    add_library(Hiredis::hiredis UNKNOWN IMPORTED)
    set_target_properties(Hiredis::hiredis PROPERTIES
        IMPORTED_LOCATION "${Hiredis_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${Hiredis_INCLUDE_DIR}")
endif()
mark_as_advanced(Hiredis_INCLUDE_DIR Hiredis_LIBRARY)
