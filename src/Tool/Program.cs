using System;
using TailGuard.Tool.Cli;

// The tailguard .NET tool: `tailguard --help` lists the commands, README.md beside this file describes them.
return await ToolCommandLine.RunAsync(args, Console.Out, Console.Error);
