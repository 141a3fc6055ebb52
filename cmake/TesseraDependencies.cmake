# Finds Tessera's dependencies: the Debian 12 packages named in comments, or the same libraries from
# Conan (conanfile.py; CMakeDeps provides their config files and targets).
# cmake/TesseraConfig.cmake.in finds the same ones again for consumers of a static libtessera.
find_package(Threads REQUIRED)
# libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev. Boost.JSON and Boost.URL are linked
# as compiled libraries (never header-only via src.hpp); Beast and Asio are header-only.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
find_package(fmt REQUIRED)          # libfmt-dev
find_package(SQLite3 REQUIRED)      # libsqlite3-dev
find_package(CURL REQUIRED)         # libcurl4-openssl-dev
find_package(OpenSSL REQUIRED)      # libssl-dev

# libvalijson-dev is header-only and ships no CMake config (Conan's valijson does). Only lib/ uses it.
add_library(tessera_valijson INTERFACE)
find_package(valijson CONFIG QUIET)
if(TARGET ValiJSON::valijson)
    target_link_libraries(tessera_valijson INTERFACE ValiJSON::valijson)
else()
    find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp REQUIRED)
    target_include_directories(tessera_valijson SYSTEM INTERFACE "${VALIJSON_INCLUDE_DIR}")
endif()

if(TESSERA_WITH_REDIS)
    find_package(Hiredis MODULE REQUIRED)   # libhiredis-dev; our FindHiredis.cmake defines Hiredis::hiredis
endif()
if(TESSERA_WITH_AMQP)
    find_package(rabbitmq-c CONFIG REQUIRED)  # librabbitmq-dev
    # Debian defines rabbitmq::rabbitmq (and rabbitmq::rabbitmq-static); Conan one of them, by its
    # `shared` option.
    if(TARGET rabbitmq::rabbitmq)
        set(TESSERA_RABBITMQ_TARGET rabbitmq::rabbitmq)
    else()
        set(TESSERA_RABBITMQ_TARGET rabbitmq::rabbitmq-static)
    endif()
endif()
