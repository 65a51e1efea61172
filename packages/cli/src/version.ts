/** The CLI's version, printed by `taiku --version` and sent in `open.cliVersion`. Kept in step with package.json. */
export const CLI_VERSION = "0.1.0";
