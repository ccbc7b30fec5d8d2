#include "arguments.hpp"

#include <CLI/CLI.hpp>

#include "arguments_access.hpp"
#include "console.hpp"

namespace znn::cli {

namespace {

// Flags shared by compress, decompress and test.
void add_file_flags(CLI::App& cmd, Options& o, bool writes) {
    cmd.add_option("files", o.inputs, "Files or folders ('-' or none: stdin)");
    if (writes) {
        cmd.add_option("-o,--output", o.output, "Write to this file (one input only)");
        cmd.add_flag("-c,--stdout", o.to_stdout, "Write to stdout");
        cmd.add_flag("-f,--force", o.force,
                     "Overwrite existing outputs; allow compressed data to a terminal");
        // Callbacks run as each flag is parsed, so the last of -k and --rm typed wins (as in zstd);
        // plain flags would be applied in the order they are defined here.
        cmd.add_flag_callback(
               "-k,--keep", [&o] { o.remove_source = false; },
               "Keep source files (default; the last of -k and --rm wins)")
            ->trigger_on_parse();
        cmd.add_flag_callback(
               "--rm", [&o] { o.remove_source = true; },
               "Remove each source file after its output is complete and verified")
            ->trigger_on_parse();
        cmd.add_flag("-r,--recursive", o.recursive, "Walk folders (implied by a folder argument)");
    }
    cmd.add_option("-T,--threads", o.threads, "Worker threads (default: all cores)")
        ->check(CLI::Range(1u, 1024u));
}

void add_verbosity(CLI::App& cmd, Options& o) {
    // As with -k/--rm, the last of -q and -v typed wins.
    cmd.add_flag_callback(
           "-q,--quiet", [&o] { o.verbosity = 0; }, "Print errors only")
        ->trigger_on_parse();
    cmd.add_flag_callback(
           "-v,--verbose", [&o] { o.verbosity = 2; }, "Print a summary line per file")
        ->trigger_on_parse();
}

}  // namespace

int parse_command_line(int argc, char** argv, Options& o) {
    CLI::App app{"znn: fast lossless compression for AI model weights", "znn"};
    app.set_version_flag("-V,--version", std::string("znn ") + ZNN_VERSION);
    app.require_subcommand(1);

    std::string dtype = "auto";
    auto* compress = app.add_subcommand("compress", "Compress files, folders or stdin to .znn");
    add_file_flags(*compress, o, true);
    compress->add_option("--dtype", dtype, "Element type: auto, bf16, fp16, fp32, fp8, bytes")
        ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32", "fp8", "bytes"}));
    compress
        ->add_option("--chunk-size", o.chunk_size,
                     "Chunk size in bytes (multiple of 8, 64 B to 64 MiB)")
        ->check(CLI::Range(std::size_t{kMinChunkSize}, std::size_t{kMaxChunkSize}));
    add_verbosity(*compress, o);

    auto* decompress =
        app.add_subcommand("decompress", "Restore files, folders or stdin from .znn");
    add_file_flags(*decompress, o, true);
    add_verbosity(*decompress, o);

    auto* test = app.add_subcommand("test", "Decode and verify .znn files, writing nothing");
    add_file_flags(*test, o, false);
    add_verbosity(*test, o);

    auto* list =
        app.add_subcommand("list", "Show sizes, ratio, chunks, layouts and checksum of .znn files");
    list->alias("info");
    list->add_option("files", o.inputs, "The .znn files")->required();
    list->add_flag("--tensors", o.list_tensors,
                   "List the tensors of safetensors content: dtype, shape, size, chunks");
    add_verbosity(*list, o);

    auto* bench = app.add_subcommand("bench", "In-memory ratio and speed against zstd -1 and -3");
    bench->add_option("files", o.inputs, "Files to benchmark")->required();
    bench->add_option("-T,--threads", o.threads, "znn threads (default 1)")
        ->check(CLI::Range(1u, 1024u));
    bench->add_option("--seconds", o.bench_seconds, "Minimum time per measurement (default 1)")
        ->check(CLI::Range(0.0, 60.0));
    bench->add_option("--dtype", dtype, "Element type: auto, bf16, fp16, fp32, fp8, bytes")
        ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32", "fp8", "bytes"}));
    bench->add_option("--chunk-size", o.chunk_size, "Chunk size in bytes")
        ->check(CLI::Range(std::size_t{kMinChunkSize}, std::size_t{kMaxChunkSize}));
    add_verbosity(*bench, o);

    auto* index =
        app.add_subcommand("index", "Sync *.index.json weight maps with the files present");
    index->add_option("paths", o.inputs, "Folders or index files")->required();
    index->add_flag("--check", o.check_only, "Change nothing; exit 1 if an index is out of sync");
    add_verbosity(*index, o);

    const AccessCommands access = add_access_commands(app, o);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitUsage;
    }
    if (compress->parsed()) o.mode = Mode::compress;
    if (decompress->parsed()) o.mode = Mode::decompress;
    if (test->parsed()) o.mode = Mode::test;
    if (list->parsed()) o.mode = Mode::list;
    if (bench->parsed()) {
        o.mode = Mode::bench;
        if (o.threads == 0) o.threads = 1;
    }
    if (index->parsed()) o.mode = Mode::index;
    if (const int code = finish_access_commands(access, o); code >= 0) return code;
    o.dtype = *parse_dtype(dtype);
    if (o.chunk_size % 8 != 0) {
        print_error("", "--chunk-size must be a multiple of 8");
        return kExitUsage;
    }
    set_verbosity(o.verbosity);
    return -1;
}

}  // namespace znn::cli
