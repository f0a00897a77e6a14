// Preloaded (node --import) into every trial process, which its parent starts with an IPC channel:
// when the parent dies (a worker killed with SIGKILL, a crashed sweep) the channel closes, and the
// trial stops as on SIGTERM — the current step finishes and a checkpoint is written — instead of
// training on unwatched while its job is handed to another worker, which would resume the same run
// a second time.
if (process.channel) {
  // The channel must not keep a finished trial alive.
  process.channel.unref();
  process.once('disconnect', () => {
    // The parent read our output through pipes that are now broken: a write would raise EPIPE and
    // end the process before its checkpoint. What is lost is only console output.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    process.kill(process.pid, 'SIGTERM');
  });
}
