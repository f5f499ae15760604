#!/usr/bin/env node
// The peer scheduler of herald's end-to-end benchmark: BullMQ delayed jobs on
// Redis, the way open-source social-media schedulers built on BullMQ publish.
//
//   node peer.js --redis-port P --sandbox http://127.0.0.1:S --jobs jobs.json [--concurrency 4]
//
// It starts a Worker on one queue, adds every job of jobs.json as a delayed
// job (delay = planned instant - now, in bulks of 1000), and each job's
// processor makes the request herald makes: POST /wp-json/wp/v2/posts with
// HTTP Basic and the same JSON body, on a new connection (herald does not
// keep connections alive). A 201 completes the job; anything else throws, and
// BullMQ retries (3 attempts, exponential backoff from 1 s).
//
// It also serves a minimal status endpoint for wrk, the BullMQ counterpart of
// herald's: GET /healthz (Redis answers PING) and GET /api/v1/queue?limit=N
// (Queue.getJobs of the active, waiting and delayed jobs, first N).
//
// Lines on stdout for the benchmark: "status-port N", "ready MS" (time from
// process start to every job added, ms), and, on stdin commands, "edited MS"
// (edit: the probe job's data updated, as an edit of one post) and "bye".
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const readline = require("node:readline");
const { Queue, Worker } = require("bullmq");
const { Redis } = require("ioredis");

const t0 = performance.timeOrigin;  // process start, as the wall clock saw it
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const redisPort = Number(args["redis-port"]);
const sandbox = new URL(args.sandbox);
const concurrency = Number(args.concurrency || 4);
const jobs = JSON.parse(fs.readFileSync(args.jobs, "utf8"));

const connection = { host: "127.0.0.1", port: redisPort, maxRetriesPerRequest: null };
const queueName = "publish";
const auth = "Basic " + Buffer.from("sandbox_editor:FAKE abcd efgh ijkl mnop qrst").toString("base64");
const agent = new http.Agent({ keepAlive: false });

function publish(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: sandbox.hostname, port: sandbox.port, path: "/wp-json/wp/v2/posts", method: "POST", agent,
        headers: { "Authorization": auth, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body),
                   "User-Agent": "herald-e2e-peer", "Connection": "close" },
        timeout: 30000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode === 201) resolve(JSON.parse(Buffer.concat(chunks).toString()).id);
          else reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
        });
      });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

async function main() {
  const queue = new Queue(queueName, { connection });
  await queue.obliterate({ force: true }).catch(() => {});
  const worker = new Worker(queueName, async (job) => publish(job.data.body), { connection, concurrency });
  worker.on("failed", (job, err) => process.stderr.write(`failed ${job && job.id}: ${err.message}\n`));
  worker.on("error", (err) => process.stderr.write(`worker error: ${err.message}\n`));

  const health = new Redis(connection);  // the status endpoint's own connection
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    try {
      if (url.pathname === "/healthz") {
        await health.ping();
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"status":"ok"}');
      } else if (url.pathname === "/api/v1/queue") {
        const limit = Math.min(Number(url.searchParams.get("limit") || 50), 1000);
        const found = await queue.getJobs(["active", "waiting", "delayed"], 0, limit - 1, true);
        const list = found.slice(0, limit).map((j) => ({ key: j.id, at: new Date(j.timestamp + j.delay).toISOString(),
                                                       attempts: j.attemptsMade }));
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ deliveries: list }));
      } else {
        res.writeHead(404);
        res.end();
      }
    } catch (e) {
      res.writeHead(503);
      res.end(JSON.stringify({ error: e.message }));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log(`status-port ${server.address().port}`);

  await worker.waitUntilReady();
  const opts = { attempts: 3, backoff: { type: "exponential", delay: 1000 } };
  for (let i = 0; i < jobs.length; i += 1000) {
    const now = Date.now();
    await queue.addBulk(jobs.slice(i, i + 1000).map((j) => ({
      name: "publish", data: { body: j.body },
      opts: { ...opts, jobId: j.slug, delay: Math.max(0, j.planned_ms - now) },
    })));
  }
  console.log(`ready ${(Date.now() - t0).toFixed(0)}`);

  const probe = jobs.find((j) => j.probe);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === "edit" && probe) {
      // An edit of one post: the job's data replaced, as a scheduler built on
      // BullMQ does when a person changes a planned post.
      const start = performance.now();
      const job = await queue.getJob(probe.slug);
      await job.updateData({ body: job.data.body.replace("first version", "second version") });
      console.log(`edited ${(performance.now() - start).toFixed(2)}`);
    } else if (line === "quit") {
      break;
    }
  }
  server.close();
  health.disconnect();
  await worker.close();
  await queue.close();
  console.log("bye");
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`peer: ${e.stack || e}\n`);
  process.exit(1);
});
