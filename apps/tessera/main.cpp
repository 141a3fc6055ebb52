// tessera: the command-line tool. This file only dispatches to the subcommands.

#include "commands.hpp"

#include <tessera/version.hpp>

#include <exception>
#include <iomanip>
#include <iostream>
#include <span>
#include <string_view>
#include <vector>

namespace {

struct Command {
    std::string_view name;
    int (*run)(std::span<const std::string_view>);
    std::string_view summary;
};

constexpr Command kCommands[] = {
    {"validate", tessera::cli::run_validate, "check JSON documents against a JSON Schema"},
    {"token", tessera::cli::run_token, "mint bearer tokens (static, or JWTs for development) and list a tokens file"},
    {"reindex", tessera::cli::run_reindex, "rebuild the search index from the store"},
};

void usage(std::ostream& out) {
    out << "usage: tessera <command> [arguments]\n"
           "       tessera --help | --version\n"
           "\n"
           "commands:\n";
    for (const auto& command : kCommands) out << "  " << std::left << std::setw(10) << command.name << command.summary << "\n";
    out << "\nRun 'tessera <command> --help' for the arguments of a command.\n";
}

int run(std::span<const std::string_view> args) {
    if (args.empty()) {
        usage(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(std::cout);
        return 0;
    }
    if (args[0] == "--version") {
        std::cout << "tessera " << tessera::version() << "\n";
        return 0;
    }
    for (const auto& command : kCommands) {
        if (args[0] == command.name) return command.run(args.subspan(1));
    }
    std::cerr << "tessera: unknown command '" << args[0] << "'\n\n";
    usage(std::cerr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    // The library reports failures as values; anything thrown this far is a bug, reported as such.
    try {
        const std::vector<std::string_view> args(argv + 1, argv + argc);
        return run(args);
    } catch (const std::exception& e) {
        std::cerr << "tessera: internal error: " << e.what() << "\n";
    } catch (...) {
        std::cerr << "tessera: internal error\n";
    }
    return 2;
}
