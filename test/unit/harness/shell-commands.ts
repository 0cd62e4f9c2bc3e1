/**
 * The programs a bash script runs: the words in command position (after a separator, a keyword,
 * an assignment or a prefix such as `setsid`/`timeout`), inside $(...), <(...), backquotes and
 * double quotes too. Quoted text, arguments, redirection targets, here-documents, case patterns
 * and [[ ]] are not commands. Pure: text in, names out. Not a full shell parser: it reads the
 * harness's scripts, and its unit tests pin the constructs they use.
 */

export type ShellCommand = { name: string; line: number };
export type ShellScan = {
  /** Literal command names (`docker`, `/usr/sbin/varnishd`), builtins included. */
  commands: ShellCommand[];
  /** Command words computed at run time (`"$node_bin" --version`): the caller decides. */
  dynamic: ShellCommand[];
  /** Functions the script defines (`name() {`, `function name`). */
  functions: string[];
};

const SEPARATORS = new Set([";", "&", "|", "\n"]);
const METACHARS = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">", "`"]);
// Keywords after which the next word is again a command.
const LEAD_KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"]);
// Keywords that close a construct: what follows is a separator or a redirection.
const END_KEYWORDS = new Set(["fi", "done", "esac", "}"]);
// Programs that run the command after their options (and, for timeout, a duration).
const PREFIXES = new Set(["exec", "setsid", "nohup", "timeout", "env", "nice", "ionice", "sudo"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

type Word = { raw: string; literal: string | undefined; line: number };

export function shellCommands(text: string): ShellScan {
  const out: ShellScan = { commands: [], dynamic: [], functions: [] };
  let i = 0;
  let line = 1;
  const heredocs: { delim: string; strip: boolean }[] = [];

  const peek = (n = 0): string => text[i + n] ?? "";
  const advance = (): string => {
    const c = text[i++] ?? "";
    if (c === "\n") line++;
    return c;
  };
  const skipBlanks = (): void => {
    for (;;) {
      if (peek() === " " || peek() === "\t") i++;
      else if (peek() === "\\" && peek(1) === "\n") {
        i += 2;
        line++;
      } else return;
    }
  };
  const skipHeredocs = (): void => {
    for (const { delim, strip } of heredocs.splice(0)) {
      while (i < text.length) {
        const end = text.indexOf("\n", i);
        const body = text.slice(i, end === -1 ? text.length : end);
        i = end === -1 ? text.length : end + 1;
        line++;
        if ((strip ? body.replace(/^\t+/, "") : body) === delim) break;
      }
    }
  };
  // Skips to the bracket closing one already consumed, minding quotes (for ${...} and $((...))).
  const skipBalanced = (open: string, close: string): void => {
    let depth = 1;
    while (i < text.length && depth > 0) {
      const c = advance();
      if (c === "\\") advance();
      else if (c === "'") while (i < text.length && advance() !== "'");
      else if (c === open) depth++;
      else if (c === close) depth--;
    }
  };

  // A word, with the commands of any $(...) or `...` inside it recorded on the way.
  const readWord = (): Word => {
    const start = line;
    let raw = "";
    let literal = "";
    let dynamic = false;
    const dollar = (): void => {
      const at = i;
      advance();
      if (peek() === "(" && peek(1) === "(") {
        i += 2;
        skipBalanced("(", ")");
        advance();
      } else if (peek() === "(") {
        advance();
        parse(")");
      } else if (peek() === "{") {
        advance();
        skipBalanced("{", "}");
      } else if (/[@*#?$!0-9-]/.test(peek())) advance();
      else while (/[A-Za-z0-9_]/.test(peek())) advance();
      raw += text.slice(at, i);
      dynamic = true;
    };
    while (i < text.length && !METACHARS.has(peek())) {
      const c = peek();
      if (c === "\\") {
        raw += advance();
        if (peek() === "\n") {
          advance();
          raw = raw.slice(0, -1);
          continue;
        }
        const e = advance();
        raw += e;
        literal += e;
      } else if (c === "'") {
        const at = i;
        advance();
        while (i < text.length && peek() !== "'") literal += advance();
        advance();
        raw += text.slice(at, i);
      } else if (c === '"') {
        raw += advance();
        while (i < text.length && peek() !== '"') {
          if (peek() === "\\") {
            raw += advance();
            const e = advance();
            raw += e;
            literal += e;
          } else if (peek() === "$") dollar();
          else if (peek() === "`") {
            advance();
            parse("`");
            dynamic = true;
          } else {
            const e = advance();
            raw += e;
            literal += e;
          }
        }
        raw += advance();
      } else if (c === "$") dollar();
      else {
        raw += advance();
        literal += c;
      }
    }
    return { raw, literal: dynamic ? undefined : literal, line: start };
  };

  const redirection = (): void => {
    const op = /^(<<<|<<-|<<|>>|>&|<&|>\||&>>|&>|<>|<|>)/.exec(text.slice(i, i + 3))?.[1] ?? advance();
    i += op.length;
    // <(...) and >(...): a process substitution, whose commands count.
    if ((op === "<" || op === ">") && peek() === "(") {
      advance();
      parse(")");
      return;
    }
    skipBlanks();
    if ((peek() === "<" || peek() === ">") && peek(1) === "(") {
      i += 2;
      parse(")");
      return;
    }
    const target = readWord();
    if (op === "<<" || op === "<<-") heredocs.push({ delim: target.literal ?? target.raw.replace(/["']/g, ""), strip: op === "<<-" });
  };

  // Reads commands until `end` (")" or "`" of a substitution or subshell, or the end of text).
  function parse(end: string): void {
    let atCommand = true;
    let prefix: string | undefined;
    let caseDepth = 0;
    let pattern = false;
    let caseHeader = false;
    let doubleBracket = false;
    let functionName = false;
    while (i < text.length) {
      skipBlanks();
      const c = peek();
      if (c === "") return;
      if (c === "#") {
        while (i < text.length && peek() !== "\n") i++;
        continue;
      }
      if (pattern) {
        if (c === "\n" || c === ";") {
          advance();
          if (c === "\n") skipHeredocs();
          continue;
        }
        if (/^esac\b/.test(text.slice(i, i + 5))) {
          i += 4;
          caseDepth--;
          pattern = false;
          atCommand = false;
          continue;
        }
        // A case pattern, up to its unquoted ")".
        if (peek() === "(") advance();
        while (i < text.length && peek() !== ")") {
          const p = advance();
          if (p === "\\") advance();
          else if (p === "'") while (i < text.length && advance() !== "'");
          else if (p === '"') while (i < text.length && advance() !== '"');
        }
        advance();
        pattern = false;
        atCommand = true;
        continue;
      }
      if (c === end) {
        advance();
        return;
      }
      if (SEPARATORS.has(c)) {
        advance();
        if (c === "\n") skipHeredocs();
        if (c === ";" && (peek() === ";" || peek() === "&")) {
          advance();
          if (peek() === "&") advance();
          if (caseDepth > 0) pattern = true;
        }
        if ((c === "&" || c === "|") && (peek() === "&" || peek() === "|")) advance();
        if (c === "&" && peek() === ">") {
          advance();
          redirection();
          continue;
        }
        if (!doubleBracket) {
          atCommand = true;
          prefix = undefined;
        }
        continue;
      }
      if (c === "(") {
        advance();
        if (peek() === "(") {
          advance();
          skipBalanced("(", ")");
          advance();
        } else parse(")");
        atCommand = false;
        continue;
      }
      if (c === "`") {
        advance();
        parse("`");
        continue;
      }
      if (c === ")") {
        advance();
        continue;
      }
      if (c === "<" || c === ">") {
        redirection();
        continue;
      }
      const word = readWord();
      if (word.raw === "") {
        advance();
        continue;
      }
      // `2>&1`, `9>file`, `{fd}>file`: a file descriptor, then its redirection.
      if (/^(\d+|\{[A-Za-z_]\w*\})$/.test(word.raw) && (peek() === "<" || peek() === ">")) {
        redirection();
        continue;
      }
      if (functionName) {
        out.functions.push(word.raw);
        functionName = false;
        atCommand = true;
        continue;
      }
      if (doubleBracket) {
        if (word.raw === "]]") doubleBracket = false;
        continue;
      }
      if (caseHeader) {
        if (word.raw === "in") {
          caseHeader = false;
          caseDepth++;
          pattern = true;
        }
        continue;
      }
      // NAME=(a b c), also after `local`: array values, not commands.
      if (ASSIGNMENT.test(word.raw) && word.raw.endsWith("=") && peek() === "(") {
        advance();
        skipBalanced("(", ")");
        continue;
      }
      if (!atCommand) continue;
      if (ASSIGNMENT.test(word.raw)) continue;
      const name = word.literal;
      if (prefix !== undefined) {
        if (word.raw.startsWith("-")) continue;
        if (prefix === "timeout" && /^\d+(\.\d+)?[smhd]?$/.test(word.raw)) continue;
      }
      if (name === undefined) {
        out.dynamic.push({ name: word.raw, line: word.line });
        atCommand = false;
        continue;
      }
      if (LEAD_KEYWORDS.has(name)) continue;
      if (END_KEYWORDS.has(name)) {
        atCommand = false;
        continue;
      }
      if (name === "case") {
        caseHeader = true;
        atCommand = false;
        continue;
      }
      if (name === "for" || name === "select") {
        atCommand = false;
        continue;
      }
      if (name === "function") {
        functionName = true;
        atCommand = false;
        continue;
      }
      if (name === "[[") {
        doubleBracket = true;
        atCommand = false;
        continue;
      }
      skipBlanks();
      if (peek() === "(" && peek(1) === ")") {
        i += 2;
        out.functions.push(name);
        continue;
      }
      out.commands.push({ name, line: word.line });
      if (PREFIXES.has(name)) {
        prefix = name;
        continue;
      }
      if (name === "command") {
        // `command -v x` only asks; `command x` runs x.
        skipBlanks();
        if (/^-[vV]\b/.test(text.slice(i, i + 3))) atCommand = false;
        else prefix = "command-run";
        continue;
      }
      atCommand = false;
      prefix = undefined;
    }
  }

  parse("");
  return out;
}
