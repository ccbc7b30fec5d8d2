# fish completion for znn
set -l subcommands compress decompress test list info bench index extract mount
complete -c znn -f
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s h -l help -d 'Print help and exit'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s V -l version -d 'Print version and exit'
# Without a subcommand, as zstd: files are compressed, or -d, -t, -l them
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -F
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s z -l compress -d 'Compress (the default)'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s d -l decompress -d 'Decompress'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s t -l test -d 'Test'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s l -l list -d 'List'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a compress -d 'Compress files, folders or stdin to .znn'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a decompress -d 'Restore files, folders or stdin from .znn'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a test -d 'Decode and verify .znn files'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a list -d 'Show sizes, ratio, chunks, layouts and checksum'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a info -d 'Alias of list'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a bench -d 'In-memory ratio and speed against zstd'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a index -d 'Sync *.index.json weight maps'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a extract -d 'Write chosen tensors or a byte range of a .znn file'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -a mount -d 'Show .znn files as the original files (FUSE)'

# Files for every subcommand
complete -c znn -n "__fish_seen_subcommand_from $subcommands" -F

# Shared by every subcommand (and the form without one)
complete -c znn -s h -l help -d 'Print help and exit'
complete -c znn -n "not __fish_seen_subcommand_from bench" -s q -l quiet -d 'Print errors only'
complete -c znn -s v -l verbose -d 'Print a summary line per file (list: every frame)'

# compress and decompress, and the form without a subcommand
set -l writers compress decompress
set -l bare "not __fish_seen_subcommand_from $subcommands"
set -l writing "__fish_seen_subcommand_from $writers; or $bare"
complete -c znn -n "$writing" -s o -l output -r -F -d 'Write to this file (one input only)'
complete -c znn -n "$writing" -s c -l stdout -d 'Write to stdout'
complete -c znn -n "$writing" -s f -l force -d 'Overwrite existing outputs'
complete -c znn -n "$writing" -s k -l keep -d 'Keep source files (default)'
complete -c znn -n "$writing" -l rm -d 'Remove each source after its output is verified'
complete -c znn -n "$writing" -s r -l recursive -d 'Walk folders'

# threads
complete -c znn -n "__fish_seen_subcommand_from compress decompress test bench extract mount; or $bare" -s T -l threads -x -d 'Worker threads (0: one per core)'

# base model (delta coding)
complete -c znn -n "__fish_seen_subcommand_from compress decompress test extract mount; or $bare" -l base -r -F -d 'Base model the tensors are coded against'

# level, dtype and chunk size
set -l coding "__fish_seen_subcommand_from compress bench; or $bare"
for n in 1 2 3 4 5 6 7 8 9
    complete -c znn -n "$coding" -o $n -d 'Compression level (1 fastest, 9 smallest)'
end
complete -c znn -n "$coding" -l level -x -a '1 2 3 4 5 6 7 8 9' -d 'Compression level'
complete -c znn -n "$coding" -l dtype -x -a 'auto bf16 fp16 fp32 fp8 bytes' -d 'Element type'
complete -c znn -n "$coding" -l chunk-size -x -d 'Chunk size (bytes, or with K, KiB, M, MiB)'

# bench
complete -c znn -n "__fish_seen_subcommand_from bench" -l seconds -x -d 'Minimum time per measurement'

# index
complete -c znn -n "__fish_seen_subcommand_from index" -l check -d 'Change nothing; exit 1 if out of sync'

# list
complete -c znn -n "__fish_seen_subcommand_from list info" -l tensors -d 'List the tensors: dtype, shape, size, chunks'

# extract
complete -c znn -n "__fish_seen_subcommand_from extract" -l tensor -x -d 'A tensor to keep, by name or glob'
complete -c znn -n "__fish_seen_subcommand_from extract" -l range -x -d 'Write content bytes OFFSET:LENGTH'
complete -c znn -n "__fish_seen_subcommand_from extract" -s o -l output -r -F -d 'Write to this file'
complete -c znn -n "__fish_seen_subcommand_from extract" -s c -l stdout -d 'Write to stdout'
complete -c znn -n "__fish_seen_subcommand_from extract" -s f -l force -d 'Overwrite an existing output'

# mount
complete -c znn -n "__fish_seen_subcommand_from mount" -s f -l foreground -d 'Stay in the foreground'
complete -c znn -n "__fish_seen_subcommand_from mount" -l cache-size -x -d 'Memory for decoded chunks (e.g. 256M)'
complete -c znn -n "__fish_seen_subcommand_from mount" -s o -l option -x -a 'allow_other allow_root debug' -d 'A FUSE mount option'
