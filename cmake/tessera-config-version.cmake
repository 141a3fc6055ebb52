# The version check for find_package(tessera <version>): the same as for TesseraConfig.cmake.
include("${CMAKE_CURRENT_LIST_DIR}/TesseraConfigVersion.cmake")
