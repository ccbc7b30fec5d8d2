// znn: the command line. Parses arguments (cli.cpp) and runs one subcommand.
#include <malloc.h>

#include <exception>

#include "arguments.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "output_file.hpp"
#include "znn/errors.hpp"

int main(int argc, char** argv) {
    using namespace znn::cli;
    install_cleanup_handlers();
    // Chunk buffers of a few MiB come and go all the time; keep them in the heap instead of
    // mmap/munmap-ing (and page-faulting) them for every chunk.
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    Options options;
    if (const int code = parse_command_line(argc, argv, options); code >= 0) return code;
    try {
        switch (options.mode) {
            case Mode::compress:
                return run_compress(options);
            case Mode::decompress:
                return run_decompress(options);
            case Mode::test:
                return run_test(options);
            case Mode::list:
                return run_list(options);
            case Mode::bench:
                return run_bench(options);
            case Mode::index:
                return run_index(options);
            case Mode::extract:
                return run_extract(options);
            case Mode::mount:
                return run_mount(options);
        }
    } catch (const znn::UsageError& e) {
        print_error(e.path(), e.what());
        return kExitUsage;
    } catch (const znn::Error& e) {
        print_error(e.path(), e.what());
        return kExitError;
    } catch (const std::exception& e) {
        print_error("", e.what());
        return kExitError;
    }
    return kExitError;
}
