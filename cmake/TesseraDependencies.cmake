# Finds Tessera's dependencies (Debian 12 package names in comments).
find_package(Threads REQUIRED)
# libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev. Boost.JSON and Boost.URL are linked
# as compiled libraries (never header-only via src.hpp); Beast and Asio are header-only.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
find_package(fmt REQUIRED)          # libfmt-dev
find_package(SQLite3 REQUIRED)      # libsqlite3-dev
find_package(CURL REQUIRED)         # libcurl4-openssl-dev
find_package(OpenSSL REQUIRED)      # libssl-dev

# libvalijson-dev is header-only and ships no CMake config.
find_path(VALIJSON_INCLUDE_DIR valijson/validator.hpp REQUIRED)
add_library(tessera_valijson INTERFACE)
target_include_directories(tessera_valijson SYSTEM INTERFACE "${VALIJSON_INCLUDE_DIR}")

if(TESSERA_WITH_REDIS)
    find_package(Hiredis MODULE REQUIRED)   # libhiredis-dev; our FindHiredis.cmake defines Hiredis::hiredis
endif()
if(TESSERA_WITH_AMQP)
    find_package(rabbitmq-c CONFIG REQUIRED)  # librabbitmq-dev; defines rabbitmq::rabbitmq
endif()
