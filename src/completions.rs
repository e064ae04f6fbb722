//! `sso-helper completions bash|zsh|fish|powershell`: completion scripts made from
//! the command line's own tables (`cli::Command::flags`, `cli::FLAGS`), so they
//! cannot drift from what the binary accepts. They complete commands (and `help
//! COMMAND`), flags, the values of flags that take a fixed set, and — asked at
//! completion time through `sso-helper __complete profiles|sso-sessions` — the
//! profile and sso-session names of the user's own config. A flag whose value is
//! free text (a URL, a port, a region) offers nothing. After `exec`'s options the
//! rest is another command line: its command name, then what that command's own
//! completion offers (files when it has none).
//!
//! Names may hold anything a config file allows (quotes, spaces, `$`, globs):
//! each script matches them by plain prefix and inserts them quoted once, for
//! where the cursor is (the bash script does the quoting itself, see `BASH`).

use crate::cli::{Command, FLAGS, Flag, SHELLS};
use crate::context::Context;

/// One line on what a command does (for shells that show descriptions).
fn summary(c: Command) -> &'static str {
    match c {
        Command::Login => "Sign in now and store the token",
        Command::Logout => "Sign out and delete the session token and credentials",
        Command::List => "The accounts and roles you can reach",
        Command::Configure => "Generate profiles for every account and role",
        Command::Export => "Credentials for a shell or the credentials file",
        Command::Status => "Tokens and cached credentials, and where they are kept",
        Command::Doctor => "Check the config, keychain, endpoints and clock",
        Command::Console => "Open the AWS console as the role of the profile",
        Command::Exec => "Run a command with the credentials of the profile",
        Command::Completions => "Print a shell completion script",
        Command::Credentials | Command::Complete | Command::Man => "",
    }
}

/// `sso-helper help [COMMAND]`: the word `cli::parse` takes for a command's help.
const HELP_WORD: (&str, &str) = ("help", "Show the help of a command");

/// A switch `cli::parse` takes whatever the command, besides the command's flags.
struct Switch {
    long: &'static str,
    short: char,
    about: &'static str,
    /// Offered only before a command.
    top_only: bool,
}

const SWITCHES: [Switch; 3] = [
    Switch {
        long: "verbose",
        short: 'v',
        about: "Log each request to stderr",
        top_only: false,
    },
    Switch {
        long: "help",
        short: 'h',
        about: "Show help",
        top_only: false,
    },
    Switch {
        long: "version",
        short: 'V',
        about: "Show the version",
        top_only: true,
    },
];

/// What the value of a flag completes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Values {
    /// The profile names of the config file.
    Profiles,
    /// The sso-session names of the config file.
    SsoSessions,
    /// A fixed set.
    Choices(&'static [&'static str]),
    /// A file name.
    Files,
    /// Free text (a URL, a port, a region, a name): nothing to offer.
    Nothing,
}

impl Values {
    /// The word `sso-helper __complete` takes for these names.
    fn list(self) -> &'static str {
        match self {
            Values::Profiles => "profiles",
            Values::SsoSessions => "sso-sessions",
            _ => "",
        }
    }
}

/// `None` for a switch.
fn values(f: &Flag) -> Option<Values> {
    let placeholder = f.value?;
    Some(match f.name {
        "profile" => Values::Profiles,
        "sso-session" => Values::SsoSessions,
        _ if !f.choices.is_empty() => Values::Choices(f.choices),
        _ if matches!(placeholder, "FILE" | "PATH" | "DIR") => Values::Files,
        _ => Values::Nothing,
    })
}

/// The names the scripts offer for `--profile` and `--sso-session`, from the
/// config file as it is now; nothing when it cannot be read.
pub fn names(ctx: &Context, what: &str) -> Vec<String> {
    let Ok(path) = crate::config::config_path(ctx) else {
        return Vec::new();
    };
    let Ok(config) = crate::config::ConfigFile::load(&path) else {
        return Vec::new();
    };
    if what == Values::Profiles.list() {
        config.profile_order
    } else if what == Values::SsoSessions.list() {
        config.session_order
    } else {
        Vec::new()
    }
}

/// The script for `shell` (one of `cli::SHELLS`).
pub fn script(shell: &str) -> String {
    match shell {
        "bash" => bash(),
        "zsh" => zsh(),
        "fish" => fish(),
        _ => powershell(),
    }
}

/// The commands a person types, with `help`: (name, summary).
fn commands() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<_> = Command::public().map(|c| (c.name(), summary(c))).collect();
    v.push(HELP_WORD);
    v
}

/// `--flag` for every flag of `c` and every switch it takes (before a command:
/// `Command::Credentials`, with `--version`).
fn flag_words(c: Command) -> Vec<String> {
    let switches = SWITCHES
        .iter()
        .filter(|s| c == Command::Credentials || !s.top_only)
        .map(|s| s.long);
    c.flags()
        .into_iter()
        .chain(switches)
        .map(|f| format!("--{f}"))
        .collect()
}

/// What completes after a command's flags (and before them: they are offered
/// together): `completions`' shells.
fn operands(c: Command) -> Vec<String> {
    match c {
        Command::Completions => SHELLS.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The arms of a `case` on the flags that take a value: `--a|--b` and what
/// `body` gives for them, one arm for the flags it gives the same for.
fn value_arms(body: impl Fn(&Flag, Values) -> String) -> Vec<(String, String)> {
    let mut arms: Vec<(String, String)> = Vec::new();
    for f in FLAGS {
        let Some(v) = values(f) else { continue };
        let body = body(f, v);
        match arms.iter_mut().find(|(_, b)| *b == body) {
            Some((flags, _)) => flags.push_str(&format!("|--{}", f.name)),
            None => arms.push((format!("--{}", f.name), body)),
        }
    }
    arms
}

/// `--a|--b`: every flag that takes a value, as a case pattern.
fn value_flag_pattern() -> String {
    FLAGS
        .iter()
        .filter(|f| f.value.is_some())
        .map(|f| format!("--{}", f.name))
        .collect::<Vec<_>>()
        .join("|")
}

/// The bash script's fixed part. bash hands a completion function the raw words
/// of the line (split at `=` and `:` too) and replaces only the part readline
/// chose (after an open quote, after `=` or `:`), inserting what it is given
/// as is. So the script reads the line itself, as bash will (quotes and
/// backslashes removed), matches the candidates against that plain prefix, and
/// quotes the rest of each for where the replaced part starts: unquoted
/// (`printf %q`), inside '…' or inside "…" (readline closes the quote).
const BASH: &str = r#"# bash completion for sso-helper (sso-helper completions bash)

# _sso_helper_split LINE: the words of LINE as bash reads them (quotes and
# backslashes removed) in _sso_helper_words, where each starts (bytes into LINE)
# in _sso_helper_starts, and the last one, which may be unfinished and empty, in
# _sso_helper_cur: as typed in _sso_helper_raw, and the quote left open at its
# end in _sso_helper_quote. Bytes, not characters (as _sso_helper_index counts).
_sso_helper_split() {
    local LC_ALL=C
    local line=$1 c word='' raw='' quote='' started='' i
    _sso_helper_words=() _sso_helper_starts=()
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ $quote ]]; then
            raw+=$c
            if [[ $c == "$quote" ]]; then
                quote=''
            elif [[ $quote == '"' && $c == '\' ]]; then
                case ${line:i+1:1} in
                    '"' | '\' | '$' | '`')
                        ((++i))
                        c=${line:i:1}
                        raw+=$c
                        ;;
                esac
                word+=$c
            else
                word+=$c
            fi
            continue
        fi
        case $c in
            ' ' | $'\t' | $'\n')
                [[ $started ]] && _sso_helper_words+=("$word")
                word='' raw='' started=''
                continue
                ;;
        esac
        [[ $started ]] || { started=1 && _sso_helper_starts+=("$i"); }
        case $c in
            '\')
                ((++i))
                c=${line:i:1}
                raw+="\\$c"
                word+=$c
                ;;
            "'" | '"')
                quote=$c
                raw+=$c
                ;;
            *)
                raw+=$c
                word+=$c
                ;;
        esac
    done
    [[ $started ]] || _sso_helper_starts+=("${#line}")
    _sso_helper_cur=$word _sso_helper_raw=$raw _sso_helper_quote=$quote
}

# _sso_helper_parse [REPLACED]: reads the line up to the cursor, and which part
# of the current word readline replaces (REPLACED, the function's $2): what
# comes before that part, quotes removed, in _sso_helper_kept, and the quote
# open where it starts in _sso_helper_open.
_sso_helper_parse() {
    local line
    # COMP_POINT counts characters (of the locale): cut there, then split bytes.
    if [[ ${COMP_LINE+set} ]]; then
        line=${COMP_LINE:0:COMP_POINT}
    else
        local IFS=' '
        line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
    fi
    _sso_helper_split "$line"
    local words=("${_sso_helper_words[@]}") starts=("${_sso_helper_starts[@]}")
    local cur=$_sso_helper_cur raw=$_sso_helper_raw quote=$_sso_helper_quote
    local replaced=${1-$raw} before=''
    [[ $raw == *"$replaced" ]] && before=${raw:0:${#raw}-${#replaced}}
    _sso_helper_split "$before"
    _sso_helper_kept=$_sso_helper_cur _sso_helper_open=$_sso_helper_quote
    _sso_helper_words=("${words[@]}") _sso_helper_starts=("${starts[@]}")
    _sso_helper_cur=$cur _sso_helper_raw=$raw _sso_helper_quote=$quote
}

# _sso_helper_reply PREFIX CANDIDATE...: COMPREPLY gets each PREFIXCANDIDATE
# that starts with the word being completed, quoted for the part readline
# replaces.
_sso_helper_reply() {
    local prefix=$1 c rest quoted ch j
    shift
    COMPREPLY=()
    for c; do
        [[ $c ]] || continue
        c=$prefix$c
        [[ $c == "$_sso_helper_cur"* ]] || continue
        rest=${c:${#_sso_helper_kept}}
        # Inside a quote readline adds the closing one, unless what it inserts
        # ends with a quote: so a quote or ! at the end closes it itself.
        case $_sso_helper_open in
            "'")
                quoted=''
                for ((j = 0; j < ${#rest}; j++)); do
                    ch=${rest:j:1}
                    if [[ $ch == "'" ]]; then
                        ((j + 1 < ${#rest})) && ch="'\\''" || ch="'\\'"
                    fi
                    quoted+=$ch
                done
                [[ $quoted ]] || quoted="'"
                ;;
            '"')
                quoted=''
                for ((j = 0; j < ${#rest}; j++)); do
                    ch=${rest:j:1}
                    case $ch in
                        '\' | '$' | '`') ch="\\$ch" ;;
                        '"') ((j + 1 < ${#rest})) && ch='\"' || ch='"\"' ;;
                        '!') ((j + 1 < ${#rest})) && ch='"\!"' || ch='"\!""' ;;
                    esac
                    quoted+=$ch
                done
                [[ $quoted ]] || quoted='"'
                ;;
            *)
                quoted=''
                [[ $rest ]] && printf -v quoted %q "$rest"
                ;;
        esac
        COMPREPLY+=("$quoted")
    done
}

# _sso_helper_index OFFSET: the index in COMP_WORDS of the word that starts
# OFFSET bytes into COMP_LINE, in _sso_helper_at (empty if none does).
_sso_helper_index() {
    local LC_ALL=C pos=0 j
    _sso_helper_at=''
    [[ ${COMP_LINE+set} && ${COMP_WORDS+set} ]] || return
    for ((j = 0; j <= COMP_CWORD; j++)); do
        while [[ ${COMP_LINE:pos:1} == [[:space:]] ]]; do ((++pos)); done
        ((pos == $1)) && { _sso_helper_at=$j; return; }
        ((pos > $1)) && return
        ((pos += ${#COMP_WORDS[j]}))
    done
}

# _sso_helper_command N: completes the command line exec runs, which starts at
# word N: with bash-completion, as that command's own completion does;
# without, command names for the first word and files after it.
_sso_helper_command() {
    if declare -F _command_offset >/dev/null; then
        _sso_helper_index "${_sso_helper_starts[$1]}"
        if [[ $_sso_helper_at ]]; then
            _command_offset "$_sso_helper_at"
            return
        fi
    fi
    if (($1 == ${#_sso_helper_words[@]})); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -c -- "$_sso_helper_cur")
    else
        compopt -o default 2>/dev/null
        COMPREPLY=()
    fi
}

# _sso_helper_value FLAG PREFIX: completes the value of FLAG (--FLAG VALUE, or
# --FLAG=VALUE with PREFIX --FLAG=).
_sso_helper_value() {
    local -a names
    case $1 in
{{VALUES}}    esac
}

_sso_helper() {
    _sso_helper_parse "${@:2:1}"
    local words=("${_sso_helper_words[@]}") cur=$_sso_helper_cur
    local n=${#_sso_helper_words[@]} cmd='' operands=0 flag='' i w
    for ((i = 1; i < n; i++)); do
        w=${words[i]}
        if [[ $cmd == exec ]] && [[ $w == -- || $w != -* ]]; then
            [[ $w == -- ]] && ((++i))
            _sso_helper_command "$i"
            return
        fi
        case $w in
            {{VALUE_FLAGS}})
                ((i + 1 == n)) && flag=$w
                ((++i))
                ;;
            -*) ;;
            *) if [[ $cmd ]]; then ((++operands)); else cmd=$w; fi ;;
        esac
    done
    if [[ $flag ]]; then
        _sso_helper_value "$flag" ''
        return
    fi
    if [[ $cur == --*=* ]]; then
        case ${cur%%=*} in
            {{VALUE_FLAGS}}) _sso_helper_value "${cur%%=*}" "${cur%%=*}=" ;;
            *) COMPREPLY=() ;;
        esac
        return
    fi
    if [[ $cmd == exec && $cur != -* ]]; then
        _sso_helper_command "$n"
        return
    fi
    case $cmd in
{{COMMANDS}}        *) COMPREPLY=() ;;
    esac
}

complete -F _sso_helper sso-helper
"#;

fn bash() -> String {
    let values = value_arms(|_, v| match v {
        Values::Profiles | Values::SsoSessions => format!(
            "mapfile -t names < <(sso-helper __complete {} 2>/dev/null)\n            \
             _sso_helper_reply \"$2\" \"${{names[@]}}\"",
            v.list()
        ),
        Values::Choices(c) => format!("_sso_helper_reply \"$2\" {}", c.join(" ")),
        Values::Files => "compopt -o default 2>/dev/null\n            COMPREPLY=()".into(),
        Values::Nothing => "COMPREPLY=()".into(),
    })
    .into_iter()
    .map(|(flags, body)| format!("        {flags})\n            {body}\n            ;;\n"))
    .collect::<String>();
    let mut commands = String::new();
    let top: Vec<String> = commands_words()
        .into_iter()
        .chain(flag_words(Command::Credentials))
        .collect();
    commands.push_str(&format!(
        "        '') _sso_helper_reply '' {} ;;\n",
        top.join(" ")
    ));
    commands.push_str(&format!(
        "        {}) ((operands)) || _sso_helper_reply '' {} ;;\n",
        HELP_WORD.0,
        Command::public()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    for c in Command::public() {
        let operands = operands(c);
        let flags = flag_words(c).join(" ");
        if operands.is_empty() {
            commands.push_str(&format!(
                "        {}) _sso_helper_reply '' {flags} ;;\n",
                c.name()
            ));
        } else {
            commands.push_str(&format!(
                "        {}) if ((operands)); then _sso_helper_reply '' {flags}; else _sso_helper_reply '' {} {flags}; fi ;;\n",
                c.name(),
                operands.join(" ")
            ));
        }
    }
    BASH.replace("{{VALUES}}", &values)
        .replace("{{VALUE_FLAGS}}", &value_flag_pattern())
        .replace("{{COMMANDS}}", &commands)
}

/// The names of `commands()`.
fn commands_words() -> Vec<String> {
    commands().into_iter().map(|(n, _)| n.to_string()).collect()
}

/// The zsh script's fixed part. zsh quotes what `compadd` adds for where the
/// cursor is; `_normal` completes exec's command line as zsh would without
/// sso-helper before it.
const ZSH: &str = r#"#compdef sso-helper
# zsh completion for sso-helper (sso-helper completions zsh)

# _sso_helper_value FLAG: completes the value of FLAG.
_sso_helper_value() {
  case $1 in
{{VALUES}}  esac
}

_sso_helper() {
  local cmd='' w flag='' i=2 operands=0
  while (( i < CURRENT )); do
    w=${words[i]}
    if [[ $cmd == exec ]] && [[ $w == -- || $w != -* ]]; then
      [[ $w == -- ]] && (( i++ ))
      words=("${(@)words[i,-1]}")
      (( CURRENT -= i - 1 ))
      _normal
      return
    fi
    case $w in
      ({{VALUE_FLAGS}})
        (( i + 1 == CURRENT )) && flag=$w
        (( i++ )) ;;
      (-*) ;;
      (*) if [[ -n $cmd ]]; then (( operands++ )); else cmd=$w; fi ;;
    esac
    (( i++ ))
  done
  if [[ -n $flag ]]; then
    _sso_helper_value $flag
    return
  fi
  if [[ $PREFIX == --*=* ]]; then
    case ${PREFIX%%=*} in
      ({{VALUE_FLAGS}})
        flag=${PREFIX%%=*}
        compset -P 1 '*='
        _sso_helper_value $flag ;;
    esac
    return
  fi
  if [[ $cmd == exec && $PREFIX != -* ]]; then
    words=("${(@)words[CURRENT,-1]}")
    CURRENT=1
    _normal
    return
  fi
  local -a commands toplevel
  commands=(
{{DESCRIBED}}  )
  toplevel=($commands '{{HELP}}')
  case $cmd in
{{COMMANDS}}  esac
}

if [[ ${funcstack[1]} == _sso-helper ]]; then
  _sso_helper "$@"
else
  compdef _sso_helper sso-helper
fi
"#;

fn zsh() -> String {
    let values = value_arms(|f, v| match v {
        Values::Profiles | Values::SsoSessions => format!(
            "compadd -- ${{(f)\"$(sso-helper __complete {} 2>/dev/null)\"}}",
            v.list()
        ),
        Values::Choices(c) => format!("compadd -- {}", c.join(" ")),
        Values::Files => "_files".into(),
        Values::Nothing => format!("_message '{}'", f.value.unwrap_or("value")),
    })
    .into_iter()
    .map(|(flags, body)| format!("    ({flags}) {body} ;;\n"))
    .collect::<String>();
    let described: String = Command::public()
        .map(|c| format!("    '{}:{}'\n", c.name(), summary(c)))
        .collect();
    let mut commands = format!(
        "    ('')\n      _describe command toplevel\n      compadd -- {} ;;\n",
        flag_words(Command::Credentials).join(" ")
    );
    commands.push_str(&format!(
        "    ({}) (( operands )) || _describe command commands ;;\n",
        HELP_WORD.0
    ));
    for c in Command::public() {
        let operands = operands(c);
        let flags = flag_words(c).join(" ");
        if operands.is_empty() {
            commands.push_str(&format!("    ({}) compadd -- {flags} ;;\n", c.name()));
        } else {
            commands.push_str(&format!(
                "    ({})\n      (( operands )) || compadd -- {}\n      compadd -- {flags} ;;\n",
                c.name(),
                operands.join(" ")
            ));
        }
    }
    ZSH.replace("{{VALUES}}", &values)
        .replace("{{VALUE_FLAGS}}", &value_flag_pattern())
        .replace("{{DESCRIBED}}", &described)
        .replace("{{HELP}}", &format!("{}:{}", HELP_WORD.0, HELP_WORD.1))
        .replace("{{COMMANDS}}", &commands)
}

/// The fish script's fixed part. fish escapes what it inserts itself;
/// `__sso_helper_state` tells the command before the cursor (skipping the
/// values of flags), or that the cursor is in exec's command line.
const FISH: &str = r#"# fish completion for sso-helper (sso-helper completions fish)
complete -c sso-helper -f

# Two lines: the command before the cursor ('-' for none) and how many words
# follow it; or exec-command and the index of the first word of the command line
# exec runs.
function __sso_helper_state
    set -l words (commandline -opc)
    set -l cmd -
    set -l operands 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        if test "$cmd" = exec; and begin; test "$w" = --; or not string match -q -- '-*' "$w"; end
            test "$w" = --; and set i (math $i + 1)
            printf '%s\n' exec-command $i
            return
        end
        switch $w
            case {{VALUE_FLAGS}}
                set i (math $i + 1)
            case '-*'
            case '*'
                if test "$cmd" = -
                    set cmd $w
                else
                    set operands (math $operands + 1)
                end
        end
        set i (math $i + 1)
    end
    # (i is past the words unless the last one is a flag that takes a value.)
    if test "$cmd" = exec; and test $i -eq (math (count $words) + 1); and not string match -q -- '-*' (commandline -ct)
        printf '%s\n' exec-command $i
        return
    end
    printf '%s\n' $cmd $operands
end

# __sso_helper_is COMMAND [OPERANDS]
function __sso_helper_is
    set -l state (__sso_helper_state)
    test "$state[1]" = "$argv[1]"; or return 1
    not set -q argv[2]; or test "$state[2]" = "$argv[2]"
end

# What fish offers for exec's command line as if it were typed alone.
function __sso_helper_command
    set -l state (__sso_helper_state)
    set -l words (commandline -opc)
    set -l rest
    test $state[2] -le (count $words); and set rest $words[$state[2]..-1]
    complete -C (string join -- ' ' (string escape -- $rest) (commandline -ct))
end

complete -c sso-helper -n '__sso_helper_is exec-command' -a '(__sso_helper_command)'

# Whether the word before the cursor is the flag $argv[1]. fish completes a
# word that starts with - as a flag even there: names that do are offered too.
function __sso_helper_after
    set -l words (commandline -opc)
    test "$words[-1]" = "$argv[1]"
end
"#;

fn fish() -> String {
    let mut s = FISH.replace(
        "{{VALUE_FLAGS}}",
        &FLAGS
            .iter()
            .filter(|f| f.value.is_some())
            .map(|f| format!("--{}", f.name))
            .collect::<Vec<_>>()
            .join(" "),
    );
    for (name, about) in commands() {
        s.push_str(&format!(
            "complete -c sso-helper -n '__sso_helper_is -' -a {name} -d '{about}'\n"
        ));
    }
    for c in Command::public() {
        s.push_str(&format!(
            "complete -c sso-helper -n '__sso_helper_is {} 0' -a {} -d '{}'\n",
            HELP_WORD.0,
            c.name(),
            summary(c)
        ));
    }
    for c in Command::public() {
        let operands = operands(c);
        if !operands.is_empty() {
            s.push_str(&format!(
                "complete -c sso-helper -n '__sso_helper_is {} 0' -a '{}'\n",
                c.name(),
                operands.join(" ")
            ));
        }
    }
    for c in Command::ALL
        .into_iter()
        .filter(|c| !c.name().starts_with("__"))
    {
        let state = if c == Command::Credentials {
            "-"
        } else {
            c.name()
        };
        for name in c.flags() {
            let f = crate::cli::flag(name).expect("every flag is defined");
            let values = match values(f) {
                None => String::new(),
                Some(v @ (Values::Profiles | Values::SsoSessions)) => {
                    format!(" -x -a '(sso-helper __complete {} 2>/dev/null)'", v.list())
                }
                Some(Values::Choices(c)) => format!(" -x -a '{}'", c.join(" ")),
                Some(Values::Files) => " -r -F".into(),
                Some(Values::Nothing) => " -x".into(),
            };
            s.push_str(&format!(
                "complete -c sso-helper -n '__sso_helper_is {state}' -l {}{values}\n",
                f.name
            ));
        }
    }
    for f in FLAGS {
        let Some(v @ (Values::Profiles | Values::SsoSessions)) = values(f) else {
            continue;
        };
        s.push_str(&format!(
            "complete -c sso-helper -n '__sso_helper_after --{}' -a '(sso-helper __complete {} 2>/dev/null)'\n",
            f.name,
            v.list()
        ));
    }
    for sw in &SWITCHES {
        let condition = if sw.top_only {
            "__sso_helper_is -"
        } else {
            "not __sso_helper_is exec-command; and not __sso_helper_is help"
        };
        s.push_str(&format!(
            "complete -c sso-helper -n '{condition}' -s {} -l {} -d '{}'\n",
            sw.short, sw.long, sw.about
        ));
    }
    s
}

/// The end of the PowerShell script: the candidates that start with the word
/// (without the quote it may start with), each in single quotes if it needs any.
const POWERSHELL_END: &str = r#"            }
        }
    }
    $typed = $wordToComplete -replace "^['""]", ''
    $candidates | Where-Object { $_ -and $_.StartsWith($typed) } | ForEach-Object {
        $text = if ($_ -match '[\s''"`$;,(){}@|&<>#]') { "'" + ($_ -replace "'", "''") + "'" } else { $_ }
        [System.Management.Automation.CompletionResult]::new($text, $_, 'ParameterValue', $_)
    }
}
"#;

/// PowerShell passes the word as typed; candidates are matched without its
/// quotes, and put back in single quotes when they need any.
fn powershell() -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("'{i}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = String::from(
        "# PowerShell completion for sso-helper (sso-helper completions powershell)\n\
         Register-ArgumentCompleter -Native -CommandName sso-helper -ScriptBlock {\n\
         \x20   param($wordToComplete, $commandAst, $cursorPosition)\n\
         \x20   $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })\n\
         \x20   $prev = if ($words.Count -gt 1) { $words[-1] } else { '' }\n\
         \x20   if ($wordToComplete -ne '' -and $words.Count -gt 1) { $prev = $words[-2] }\n\
         \x20   $commands = @(",
    );
    s.push_str(&list(&commands_words()));
    s.push_str(")\n    $cmd = ''\n    foreach ($w in $words[1..($words.Count)]) { if ($commands -contains $w) { $cmd = $w; break } }\n    $candidates = switch ($prev) {\n");
    for f in FLAGS {
        let v = match values(f) {
            None => continue,
            Some(v @ (Values::Profiles | Values::SsoSessions)) => {
                format!("@(sso-helper __complete {} 2>$null)", v.list())
            }
            Some(Values::Choices(c)) => format!(
                "@({})",
                list(&c.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            ),
            // (PowerShell offers files when there is nothing.)
            Some(Values::Files | Values::Nothing) => "@()".to_string(),
        };
        s.push_str(&format!("        '--{}' {{ {v} }}\n", f.name));
    }
    s.push_str("        default {\n            switch ($cmd) {\n");
    let top: Vec<String> = commands_words()
        .into_iter()
        .chain(flag_words(Command::Credentials))
        .collect();
    s.push_str(&format!("                '' {{ @({}) }}\n", list(&top)));
    s.push_str(&format!(
        "                '{}' {{ @({}) }}\n",
        HELP_WORD.0,
        list(
            &Command::public()
                .map(|c| c.name().to_string())
                .collect::<Vec<_>>()
        )
    ));
    for c in Command::public() {
        let all: Vec<String> = operands(c).into_iter().chain(flag_words(c)).collect();
        s.push_str(&format!(
            "                '{}' {{ @({}) }}\n",
            c.name(),
            list(&all)
        ));
    }
    s.push_str(POWERSHELL_END);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Action, parse};
    use std::ffi::OsString;

    fn p(args: &[&str]) -> Action {
        parse(args.iter().map(OsString::from)).unwrap().0
    }

    /// The summaries go inside single quotes in every script: none may hold one.
    #[test]
    fn summaries_need_no_quoting() {
        for c in Command::ALL {
            assert!(!summary(c).contains(['\'', '"', '\\', '$', '`']), "{c:?}");
        }
        for s in &SWITCHES {
            assert!(!s.about.contains(['\'', '"', '\\', '$', '`']));
        }
        // zsh's _describe reads NAME:SUMMARY.
        assert!(!commands().iter().any(|(_, s)| s.contains(':')));
        for f in FLAGS {
            for c in f.choices {
                assert!(c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            }
        }
    }

    /// The words the scripts add to the tables are the parser's.
    #[test]
    fn help_and_the_switches_are_what_the_parser_takes() {
        assert_eq!(p(&[HELP_WORD.0]), Action::Help(Command::Credentials));
        assert_eq!(p(&[HELP_WORD.0, "login"]), Action::Help(Command::Login));
        for s in &SWITCHES {
            let long = format!("--{}", s.long);
            let short = format!("-{}", s.short);
            for args in [[long.as_str(), "status"], ["status", long.as_str()]] {
                let (action, parsed) = parse(args.iter().map(OsString::from)).unwrap();
                match s.long {
                    "verbose" => assert!(parsed.verbose),
                    "help" => assert_eq!(action, Action::Help(Command::Status)),
                    "version" => assert_eq!(action, Action::Version),
                    other => panic!("what does --{other} do?"),
                }
            }
            assert!(
                parse([short.as_str()].iter().map(OsString::from)).is_ok(),
                "{short}"
            );
        }
        // Every option the main help lists is a flag or one of the switches.
        for word in crate::cli::HELP.split(|c: char| c.is_whitespace() || c == ',') {
            if let Some(name) = word.strip_prefix("--") {
                let name = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
                assert!(
                    crate::cli::flag(name).is_some() || SWITCHES.iter().any(|s| s.long == name),
                    "--{name} of the help is no flag the scripts know"
                );
            }
        }
    }

    /// Each flag that takes a value completes what it takes: names, a fixed set,
    /// files, or nothing for free text. A new flag is decided here.
    #[test]
    fn every_value_flag_completes_what_it_takes() {
        for f in FLAGS {
            let expected = match f.name {
                "profile" => Some(Values::Profiles),
                "sso-session" => Some(Values::SsoSessions),
                "format" | "flow" | "token-store" => Some(Values::Choices(f.choices)),
                "prefix" | "region" | "start-url" | "sso-region" | "to" | "redirect-port"
                | "destination" => Some(Values::Nothing),
                _ if f.value.is_none() => None,
                other => panic!("--{other}: decide what its value completes to"),
            };
            assert_eq!(values(f), expected, "--{}", f.name);
        }
    }

    /// Every command, `help`, every flag and every switch is in every script.
    #[test]
    fn every_script_offers_every_command_and_flag() {
        for shell in SHELLS {
            let s = script(shell);
            for (name, _) in commands() {
                assert!(s.contains(name), "{shell} lacks {name}");
            }
            for f in FLAGS {
                let word = if shell == "fish" {
                    format!("-l {}", f.name)
                } else {
                    format!("--{}", f.name)
                };
                assert!(s.contains(&word), "{shell} lacks --{}", f.name);
            }
            for sw in &SWITCHES {
                let word = if shell == "fish" {
                    format!("-s {} -l {}", sw.short, sw.long)
                } else {
                    format!("--{}", sw.long)
                };
                assert!(s.contains(&word), "{shell} lacks --{}", sw.long);
            }
        }
    }
}
