import { Command } from "commander";
import { commandNamed, registerCommands } from "../../../controller/cli/commands";
import { buildProgram } from "../../../controller/cli/main";

const argv = (...args: string[]): string[] => ["node", "simulium", ...args];

describe("commandNamed", () => {
  it("is the first word that is not an option or a global option's value", () => {
    expect(commandNamed(argv("run", "--repo", "x"))).toBe("run");
    expect(commandNamed(argv("--log-level", "warn", "run"))).toBe("run");
    expect(commandNamed(argv("--log-format", "json", "--log-level=debug", "plan"))).toBe("plan");
    expect(commandNamed(argv("drush-aliases", "--repo", "x"))).toBe("drush-aliases");
  });

  it("is undefined when no known command is named: help, --version, a mistyped word, after --", () => {
    expect(commandNamed(argv())).toBeUndefined();
    expect(commandNamed(argv("--help"))).toBeUndefined();
    expect(commandNamed(argv("-V"))).toBeUndefined();
    expect(commandNamed(argv("help", "run"))).toBeUndefined();
    expect(commandNamed(argv("rnu"))).toBeUndefined();
    expect(commandNamed(argv("--", "run"))).toBeUndefined();
  });
});

describe("registerCommands", () => {
  const names = (program: Command): string[] => program.commands.map((c) => c.name());

  it("registers every command without argv, in help order", () => {
    expect(names(buildProgram())).toEqual(["plan", "apply", "status", "validate", "run", "history", "seal", "exec", "new", "compose", "cron", "backup", "backups", "restore", "sync", "credentials", "import", "move", "state", "logs", "drush-aliases"]);
  });

  it("registers only the command argv names, each under the name it is listed by", () => {
    for (const name of names(buildProgram())) {
      const program = new Command();
      registerCommands(program, argv("--log-level", "warn", name, "--help"));
      expect(names(program)).toEqual([name]);
    }
  });

  it("registers every command when argv names none", () => {
    const program = new Command();
    registerCommands(program, argv("help"));
    expect(names(program)).toHaveLength(21);
  });
});
