# Checks the public headers (STYLE.md §2); run as a test:
#   cmake -DSOURCE_DIR=<Tessera's source tree> -P check_headers.cmake
# - They include the standard library, Boost types that appear in signatures and <tessera/...> only:
#   never the headers of a backend or an HTTP library (hiredis, sqlite3, amqp, curl, valijson,
#   Beast, Asio, fmt), which stay private to lib/ and apps/.
# - <tessera/tessera.hpp> includes every other public header.
# (That each header compiles on its own is the tessera-header-check target, see register_tests.cmake.)
file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/tessera/*.hpp")
file(READ "${SOURCE_DIR}/include/tessera/tessera.hpp" umbrella)
set(forbidden "hiredis/|sqlite3\\.h|amqp|rabbitmq-c/|curl/|valijson/|boost/beast|boost/asio|fmt/")
set(failures "")
foreach(header IN LISTS headers)
    file(STRINGS "${SOURCE_DIR}/include/${header}" includes REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS includes)
        if(line MATCHES "[<\"](${forbidden})")
            string(APPEND failures "  ${header} includes a private dependency: ${line}\n")
        endif()
    endforeach()
    string(FIND "${umbrella}" "#include <${header}>" position)
    if(position EQUAL -1 AND NOT header STREQUAL "tessera/tessera.hpp")
        string(APPEND failures "  tessera/tessera.hpp does not include <${header}>\n")
    endif()
endforeach()
list(LENGTH headers count)
if(failures)
    message(FATAL_ERROR "public headers:\n${failures}")
endif()
message(STATUS "${count} public headers: no private dependency included; the umbrella header has them all")
