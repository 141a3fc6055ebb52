# find_package(tessera) reads this file; the package itself is TesseraConfig.cmake, beside it.
include("${CMAKE_CURRENT_LIST_DIR}/TesseraConfig.cmake")
