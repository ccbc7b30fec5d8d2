#include <CLI/CLI.hpp>

#include "arguments_access.hpp"
#include "console.hpp"

namespace znn::cli {

AccessCommands add_access_commands(CLI::App& app, Options& o) {
    AccessCommands c;
    c.extract =
        app.add_subcommand("extract", "Write chosen tensors or a byte range of a .znn file");
    c.extract->add_option("file", o.inputs, "The .znn file")->required()->expected(1);
    c.extract->add_option("--tensor", o.tensors,
                          "A tensor to keep, by name or glob ('layers.*.weight'); repeatable");
    c.extract->add_option("--range", o.range,
                          "Write content bytes OFFSET:LENGTH instead (LENGTH empty: to the end)");
    c.extract->add_option("--base", o.base,
                          "The base model the file was compressed against (.safetensors, "
                          ".safetensors.znn or a folder of them)");
    c.extract->add_option("-o,--output", o.output, "Write to this file (default: stdout)");
    c.extract->add_flag("-c,--stdout", o.to_stdout, "Write to stdout");
    c.extract->add_flag("-f,--force", o.force,
                        "Overwrite an existing output; allow binary data to a terminal");
    c.extract->add_option("-T,--threads", o.threads, "Decoding threads (default: all cores)")
        ->check(CLI::Range(1u, 1024u));
    c.extract
        ->add_flag_callback(
            "-q,--quiet", [&o] { o.verbosity = 0; }, "Print errors only")
        ->trigger_on_parse();
    c.extract
        ->add_flag_callback(
            "-v,--verbose", [&o] { o.verbosity = 2; },
            "Print what was written and which chunks were decoded")
        ->trigger_on_parse();

    c.mount =
        app.add_subcommand("mount", "Show .znn files as the original files, read-only (FUSE)");
    c.mount->add_option("source", o.mount_source, "A folder or a .znn file")->required();
    c.mount->add_option("mountpoint", o.output, "An empty folder to mount on")->required();
    c.mount->add_option("--base", o.base,
                        "The base model files in the source were compressed against "
                        "(.safetensors, .safetensors.znn or a folder of them)");
    c.mount->add_flag("-f,--foreground", o.foreground,
                      "Stay in the foreground (default: return once mounted)");
    c.mount
        ->add_option("-T,--threads", o.threads, "Read-ahead decoding threads (default: all cores)")
        ->check(CLI::Range(1u, 1024u));
    c.mount
        ->add_option("--cache-size", o.cache_size,
                     "Decoded chunks kept in memory, e.g. 256M (default 64M)")
        ->transform(CLI::AsSizeValue(false));
    c.mount->add_option("-o,--option", o.fuse_options,
                        "A FUSE mount option (allow_other, ...); repeatable, or comma-separated");
    c.mount
        ->add_flag_callback(
            "-q,--quiet", [&o] { o.verbosity = 0; }, "Print errors only")
        ->trigger_on_parse();
    c.mount
        ->add_flag_callback(
            "-v,--verbose", [&o] { o.verbosity = 2; }, "Say when mounted and unmounted")
        ->trigger_on_parse();
    return c;
}

int finish_access_commands(const AccessCommands& c, Options& o) {
    if (c.extract->parsed()) {
        o.mode = Mode::extract;
        if (o.tensors.empty() == o.range.empty()) {
            print_error("", "extract needs --tensor NAME (one or more) or --range OFFSET:LENGTH");
            return kExitUsage;
        }
    }
    if (c.mount->parsed()) o.mode = Mode::mount;
    return -1;
}

}  // namespace znn::cli
