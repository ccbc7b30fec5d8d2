# bash completion for znn
_znn() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
    fi
    local subcommands="compress decompress test list info bench index extract mount"
    # Options of the form without a subcommand (as zstd), also accepted before one.
    local global="-h --help -V --version -z --compress -d --decompress -t --test -l --list"
    global+=" -o --output -c --stdout -f --force -k --keep --rm -r --recursive -T --threads"
    global+=" -1 -2 -3 -4 -5 -6 -7 -8 -9 --level --dtype --chunk-size -q --quiet -v --verbose"
    local sub="" mode="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            compress|decompress|test|list|info|bench|index|extract|mount) sub="${words[i]}"; break ;;
            -d|--decompress) mode=decompress ;;
            -t|--test) mode=test ;;
            -l|--list) mode=list ;;
            -z|--compress) mode=compress ;;
        esac
    done
    case "$prev" in
        --dtype) COMPREPLY=($(compgen -W "auto bf16 fp16 fp32 fp8 bytes" -- "$cur")); return ;;
        -T|--threads|--chunk-size|--seconds|--level|--cache-size|--range|--tensor) return ;;
        --base) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -o|--output|--option)
            if [[ $sub == mount ]]; then
                COMPREPLY=($(compgen -W "allow_other allow_root debug" -- "$cur"))
            else
                compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return ;;
    esac
    local opts="-h --help -q --quiet -v --verbose"
    case "$sub" in
        "") opts=$global ;;
        compress) opts+=" -o --output -c --stdout -f --force -k --keep --rm -r --recursive -T --threads --base -1 -2 -3 -4 -5 -6 -7 -8 -9 --level --dtype --chunk-size" ;;
        decompress) opts+=" -o --output -c --stdout -f --force -k --keep --rm -r --recursive -T --threads --base" ;;
        test) opts+=" -T --threads --base" ;;
        list|info) opts+=" --tensors" ;;
        extract) opts+=" --tensor --range --base -o --output -c --stdout -f --force -T --threads" ;;
        mount) opts+=" --base -f --foreground -T --threads --cache-size -o --option" ;;
        bench) opts="-h --help -v --verbose -T --threads --seconds -1 -2 -3 -4 -5 -6 -7 -8 -9 --level --dtype --chunk-size" ;;
        index) opts+=" --check" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    # File names may hold spaces: one name per line, never split on blanks.
    compopt -o filenames 2>/dev/null
    [[ -z $sub && -n $mode ]] && sub=$mode
    case "$sub" in
        "")
            mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur"; compgen -f -- "$cur") ;;
        decompress|test|list|info|extract|mount)
            mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X '!*.znn' -- "$cur") ;;
        *)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
}
complete -F _znn znn
