// Runs the front end's port (nagcore/widgets/*.js, as bundled for the browser by
// nagcore.widgets.bundle) on jobs written by tests/test_port.py, and writes what it computed.
//
//   node tests/js/harness.mjs BUNDLE.mjs JOB.json OUT
//
// Jobs ({"task": ...}):
//   runs:    the port's run() for one problem and method over many settings; writes OUT.x
//            (float64, settings x (steps + 1) x d, NaN after divergence) and OUT.json (diverged_at)
//   rates:   theory's rate() and tuned() on many arguments; writes OUT.json
//   figure:  the figure module's compute(spec, params) for many params; writes OUT.json with each
//            run's diverged_at and iterates
//   sliders: ui's to_value/to_position on many positions; writes OUT.json
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [bundlePath, jobPath, out] = process.argv.slice(2);
const port = await import(pathToFileURL(bundlePath).href);
const job = JSON.parse(fs.readFileSync(jobPath, "utf8"));
const clean = (v) => (Number.isFinite(v) ? v : null);

if (job.task === "runs") {
  const problem = port.problem_from_spec(job.problem);
  const d = problem.dim, n = job.settings.length, width = (job.steps + 1) * d;
  const xs = new Float64Array(n * width), divergedAt = [];
  job.settings.forEach(([lr, momentum], s) => {
    const r = port.run(port.optimizer(job.method, lr, momentum), problem, job.x0[s], job.steps, job.blowup);
    r.x.forEach((x, k) => xs.set(x, s * width + k * d));
    divergedAt.push(r.diverged_at);
  });
  fs.writeFileSync(`${out}.x`, Buffer.from(xs.buffer));
  fs.writeFileSync(`${out}.json`, JSON.stringify(divergedAt));
} else if (job.task === "rates") {
  const rates = job.calls.map(([method, lr, momentum, eigenvalues]) => port.rate(method, lr, momentum, eigenvalues));
  const tuned = job.tuned.map(([method, L, mu]) => { const t = port.tuned(method, L, mu); return [t.lr, t.momentum, t.rate]; });
  fs.writeFileSync(`${out}.json`, JSON.stringify({ rates, tuned }));
} else if (job.task === "figure") {
  const results = job.params.map((params) => {
    const data = port.compute(job.spec, params);
    // runs of a figure ({run}, {runs: [...]} or {runs: {method: run}}), or LookAhead's steps ({paths})
    const runs = data.run ? [data.run] : data.paths ? Object.values(data.paths).map((x) => ({ diverged_at: -1, x }))
      : Array.isArray(data.runs) ? data.runs : Object.values(data.runs);
    return runs.map((r) => ({ diverged_at: r.diverged_at, x: r.x.map((x) => x.map(clean)) }));
  });
  fs.writeFileSync(`${out}.json`, JSON.stringify(results));
} else if (job.task === "sliders") {
  const results = job.sliders.map((s) => {
    const values = [];
    for (let p = 0; p <= port.positions(s); p++) values.push(port.to_value(s, p));
    return { values, back: values.map((v) => port.to_position(s, v)) };
  });
  fs.writeFileSync(`${out}.json`, JSON.stringify(results));
} else {
  throw new Error(`unknown task ${job.task}`);
}
