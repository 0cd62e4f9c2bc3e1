import type { Command } from "commander";
import { buildProgram } from "../../../controller/cli/main";

/** Every command, the program itself and the groups (cron, state) included. */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** What `--help` prints, with the text added after it (commander's outputHelp, captured). */
function helpOf(cmd: Command): string {
  let text = "";
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

/** The example lines of a help text: `Example:` then lines `  $ simulium …`. */
function examplesOf(help: string): string[] {
  const at = help.indexOf("\nExample:\n");
  if (at < 0) return [];
  return help
    .slice(at + "\nExample:\n".length)
    .split("\n")
    .filter((l) => l.startsWith("  $ "));
}

/** An example line calls the command it documents (after an assignment or a pipe, if need be). */
function hasExample(cmd: Command): boolean {
  const invocation = new RegExp(`(?:^|\\s)${pathOf(cmd).replace(/ /g, "\\s+")}(?:\\s|$)`);
  return examplesOf(helpOf(cmd)).some((e) => invocation.test(e.slice(4)));
}

describe("cli: every command's --help shows an example", () => {
  const commands = allCommands(buildProgram());

  it("walks every registered command (the walk itself can fail)", () => {
    const names = commands.map(pathOf);
    for (const expected of ["simulium", "simulium apply", "simulium cron run", "simulium state recover", "simulium logs", "simulium drush-aliases"]) expect(names).toContain(expected);
  });

  it("has an `Example:` section with a command line that runs this command", () => {
    expect(commands.filter((c) => !hasExample(c)).map(pathOf)).toEqual([]);
  });

  it("the check fails for a command without an example, or with one of another command", () => {
    const program = buildProgram();
    const bare = program.command("bare").description("no example");
    const other = program.command("other").addHelpText("after", "\nExample:\n  $ simulium plan --repo .\n");
    const piped = program.command("piped").addHelpText("after", "\nExample:\n  $ printf x | simulium piped --repo .\n");
    expect([bare, other, piped].map(hasExample)).toEqual([false, false, true]);
  });
});
