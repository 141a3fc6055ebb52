// The one translation unit that compiles Asio's and Beast's implementation; the CMakeLists defines
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION so main.cpp stays light.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
