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
    local sub="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            compress|decompress|test|list|info|bench|index|extract|mount) sub="${words[i]}"; break ;;
        esac
    done
    if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "$subcommands -h --help -V --version" -- "$cur"))
        return
    fi
    case "$prev" in
        --dtype) COMPREPLY=($(compgen -W "auto bf16 fp16 fp32 fp8 bytes" -- "$cur")); return ;;
        -T|--threads|--chunk-size|--seconds|--cache-size|--range|--tensor) return ;;
        -o|--output|--option)
            if [[ $sub == mount ]]; then
                COMPREPLY=($(compgen -W "allow_other allow_root debug" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return ;;
    esac
    local opts="-h --help -q --quiet -v --verbose"
    case "$sub" in
        compress) opts+=" -o --output -c --stdout -f --force -k --keep --rm -r --recursive -T --threads --dtype --chunk-size" ;;
        decompress) opts+=" -o --output -c --stdout -f --force -k --keep --rm -r --recursive -T --threads" ;;
        test) opts+=" -T --threads" ;;
        list|info) opts+=" --tensors" ;;
        extract) opts+=" --tensor --range -o --output -c --stdout -f --force -T --threads" ;;
        mount) opts+=" -f --foreground -T --threads --cache-size -o --option" ;;
        bench) opts+=" -T --threads --seconds --dtype --chunk-size" ;;
        index) opts+=" --check" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    case "$sub" in
        decompress|test|list|info|extract)
            COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.znn' -- "$cur")) ;;
        mount) COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.znn' -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
    compopt -o filenames 2>/dev/null
}
complete -F _znn znn
