# fish completion for znn
set -l subcommands compress decompress test list info bench index extract mount
complete -c znn -f
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s h -l help -d 'Print help and exit'
complete -c znn -n "not __fish_seen_subcommand_from $subcommands" -s V -l version -d 'Print version and exit'
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

# Shared by every subcommand
complete -c znn -n "__fish_seen_subcommand_from $subcommands" -s h -l help -d 'Print help and exit'
complete -c znn -n "__fish_seen_subcommand_from $subcommands" -s q -l quiet -d 'Print errors only'
complete -c znn -n "__fish_seen_subcommand_from $subcommands" -s v -l verbose -d 'Print a summary line per file'

# compress and decompress
set -l writers compress decompress
complete -c znn -n "__fish_seen_subcommand_from $writers" -s o -l output -r -F -d 'Write to this file (one input only)'
complete -c znn -n "__fish_seen_subcommand_from $writers" -s c -l stdout -d 'Write to stdout'
complete -c znn -n "__fish_seen_subcommand_from $writers" -s f -l force -d 'Overwrite existing outputs'
complete -c znn -n "__fish_seen_subcommand_from $writers" -s k -l keep -d 'Keep source files (default)'
complete -c znn -n "__fish_seen_subcommand_from $writers" -l rm -d 'Remove each source after its output is verified'
complete -c znn -n "__fish_seen_subcommand_from $writers" -s r -l recursive -d 'Walk folders'

# threads
complete -c znn -n "__fish_seen_subcommand_from compress decompress test bench extract mount" -s T -l threads -x -d 'Worker threads'

# dtype and chunk size
complete -c znn -n "__fish_seen_subcommand_from compress bench" -l dtype -x -a 'auto bf16 fp16 fp32 fp8 bytes' -d 'Element type'
complete -c znn -n "__fish_seen_subcommand_from compress bench" -l chunk-size -x -d 'Chunk size in bytes'

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
