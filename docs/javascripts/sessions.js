// Python sessions copy as code: the copy button of a block with ">>>" prompts copies the
// calls without their prompts and output (Material copies `data-copy` when it is set), with
// a blank line after each compound statement so that the result pastes into the REPL.
document$.subscribe(() => {
  for (const code of document.querySelectorAll(".highlight pre > code")) {
    const lines = code.innerText.split("\n");
    if (!lines.some((line) => line.startsWith(">>> "))) continue;
    const calls = [];
    let continued = false;
    for (const line of lines) {
      const prompt = line.match(/^(>>>|\.\.\.)( |$)/);
      if (!prompt) continue;
      if (prompt[1] === ">>>" && continued) calls.push("");
      continued = prompt[1] === "..." && line.trim() !== "...";
      calls.push(line.slice(4));
    }
    code.setAttribute("data-copy", calls.join("\n") + (continued ? "\n" : ""));
  }
});
