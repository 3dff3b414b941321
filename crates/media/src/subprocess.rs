//! Runs one external tool (ffmpeg, ffprobe) on an untrusted file so that it cannot outlive,
//! outgrow or outrun its request:
//!
//! - memory: `RLIMIT_AS` caps its address space (and `RLIMIT_CORE` = 0: a crash on a hostile
//!   file should not write a gigabyte core dump); an allocation failure comes back as
//!   `LimitExceeded`, not as a hang;
//! - lifetime: `PR_SET_PDEATHSIG(SIGKILL)` kills it when the server dies, however it dies
//!   (`kill -9` included). Linux sends that signal when the *thread* that forked the child
//!   exits, so every child is forked on one dedicated thread that lives as long as the
//!   process, not on a tokio worker that may be retired;
//! - time: it runs in its own process group, and the timeout (or dropping the future, e.g.
//!   a cancelled request) kills the whole group, so nothing it started survives either;
//! - output: stdout is capped (a thumbnail frame is at most 720×1280×3 bytes), and only the
//!   tail of stderr is kept, for the error message.
//!
//! It does not build command lines (`ffmpeg.rs`) or interpret their output. Linux-only
//! parts (`prctl`) are compiled on Linux; other Unixes get the rest.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};

use crate::MediaError;

/// Bytes of stderr kept for the error message: its last lines are what matter.
const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// The limits for one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub timeout: Duration,
    /// `RLIMIT_AS` in bytes.
    pub memory_bytes: u64,
    /// More stdout than this is refused and the tool killed.
    pub max_stdout_bytes: usize,
}

/// A spawned tool. Dropping it before the tool has been waited for kills the tool's whole
/// process group: the tool itself is still unreaped then, so its pid (which is the group
/// id) cannot have been reused.
pub(crate) struct BoundedChild {
    child: Child,
}

#[cfg(test)]
impl BoundedChild {
    /// The tool's pid while it has not been reaped.
    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for BoundedChild {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id().and_then(|pid| i32::try_from(pid).ok()) {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is
            // touched.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        // kill_on_drop then kills (again) and reaps the leader in the background.
    }
}

/// Spawns `command` with the bounds applied before `exec`, on the spawner thread.
pub(crate) async fn spawn(mut command: Command, bounds: &Bounds) -> io::Result<BoundedChild> {
    let memory = libc::rlim_t::try_from(bounds.memory_bytes).unwrap_or(libc::RLIM_INFINITY);
    let parent = std::process::id();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // A new group led by the child, so the timeout can kill everything it starts.
        .process_group(0);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (setrlimit, prctl, getppid, _exit); it allocates nothing and takes no locks.
    unsafe {
        command.pre_exec(move || {
            let address_space = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &address_space) != 0 {
                return Err(io::Error::last_os_error());
            }
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
                return Err(io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect: then nobody would
                // send the signal, so give up now.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = parent;
            Ok(())
        });
    }
    let child = spawn_on_spawner_thread(command).await?;
    Ok(BoundedChild { child })
}

/// Runs `command` to completion within `bounds`; stdout on success. `Timeout` when it
/// overruns (the group is killed), `LimitExceeded` when it runs out of memory, exceeds
/// ffmpeg's `-max_pixels` or prints too much, `Corrupt` carrying stderr's last line on any
/// other failure.
pub(crate) async fn run(
    command: Command,
    tool: &'static str,
    bounds: &Bounds,
) -> Result<Vec<u8>, MediaError> {
    let mut running = spawn(command, bounds).await?;
    let stdout = running.child.stdout.take();
    let stderr = running.child.stderr.take();
    let work = async {
        tokio::try_join!(
            read_capped(stdout, bounds.max_stdout_bytes, tool),
            read_tail(stderr),
            async { running.child.wait().await.map_err(MediaError::Io) },
        )
    };
    // On timeout or error the other futures are dropped and `running`'s Drop kills the group.
    let (stdout, stderr, status) =
        tokio::time::timeout(bounds.timeout, work)
            .await
            .map_err(|_| MediaError::Timeout {
                tool,
                after: bounds.timeout,
            })??;
    // ffprobe can exit 0 after the decoder refused the picture size (it then reports no
    // size for the stream): the refusal is the answer either way.
    if status.success() && !mentions_max_pixels(&stderr) {
        return Ok(stdout);
    }
    Err(failure(tool, status, &stderr, bounds))
}

/// ffmpeg's message when a picture exceeds `-max_pixels`.
fn mentions_max_pixels(stderr: &[u8]) -> bool {
    const MESSAGE: &[u8] = b"exceeds specified max pixel count";
    stderr.windows(MESSAGE.len()).any(|w| w == MESSAGE)
}

/// Classifies a failed run from its exit status and stderr.
fn failure(tool: &'static str, status: ExitStatus, stderr: &[u8], bounds: &Bounds) -> MediaError {
    if mentions_max_pixels(stderr) {
        return MediaError::LimitExceeded(format!(
            "{tool}: the video's pictures are larger than the pixel limit"
        ));
    }
    let stderr = String::from_utf8_lossy(stderr);
    let mentions = |needle: &str| stderr.contains(needle);
    // ENOMEM from ffmpeg itself, or the dynamic loader unable to map a library.
    if mentions("Cannot allocate memory")
        || mentions("failed to map segment")
        || mentions("out of memory")
    {
        return MediaError::LimitExceeded(format!(
            "{tool} ran out of memory under its {} MiB limit",
            bounds.memory_bytes >> 20
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return MediaError::Corrupt(format!("{tool} crashed on the file (signal {signal})"));
        }
    }
    let last_line = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    MediaError::Corrupt(format!("{tool} could not read the file: {last_line}"))
}

async fn read_capped(
    pipe: Option<impl AsyncRead + Unpin>,
    cap: usize,
    tool: &'static str,
) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        pipe.take(cap as u64 + 1).read_to_end(&mut out).await?;
    }
    if out.len() > cap {
        return Err(MediaError::LimitExceeded(format!(
            "{tool} printed more than {cap} bytes"
        )));
    }
    Ok(out)
}

/// Reads the whole pipe (so the tool never blocks on it) and keeps the last
/// [`STDERR_TAIL_BYTES`].
async fn read_tail(pipe: Option<impl AsyncRead + Unpin>) -> Result<Vec<u8>, MediaError> {
    let mut tail = Vec::new();
    let Some(mut pipe) = pipe else {
        return Ok(tail);
    };
    let mut chunk = [0u8; 4096];
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok(tail);
        }
        tail.extend_from_slice(&chunk[..n]);
        if tail.len() > 2 * STDERR_TAIL_BYTES {
            tail.drain(..tail.len() - STDERR_TAIL_BYTES);
        }
    }
}

type SpawnJob = Box<dyn FnOnce() + Send>;

/// Forks `command` on the spawner thread (see the module comment) inside the caller's
/// runtime, so tokio still watches the child.
async fn spawn_on_spawner_thread(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnJob>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<SpawnJob>();
        // If the thread cannot start, every send below fails and reports it.
        let _ = std::thread::Builder::new()
            .name("media-spawner".into())
            .spawn(move || {
                for job in queue {
                    job();
                }
            });
        jobs
    });
    let runtime = tokio::runtime::Handle::current();
    let (reply, spawned) = tokio::sync::oneshot::channel();
    spawner
        .send(Box::new(move || {
            let _context = runtime.enter();
            let _ = reply.send(command.spawn());
        }))
        .map_err(|_| io::Error::other("the process spawner thread is not running"))?;
    spawned
        .await
        .map_err(|_| io::Error::other("the process spawner thread stopped"))?
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Instant;

    use super::*;

    fn bounds(timeout: Duration) -> Bounds {
        Bounds {
            timeout,
            memory_bytes: 1 << 30,
            max_stdout_bytes: 1 << 20,
        }
    }

    /// Whether `pid` has exited (gone, or a zombie waiting for a reaper).
    fn is_dead(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            // "pid (comm) S ...": the state follows the last ')'.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        }
    }

    fn wait_until_dead(pid: u32, within: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < within {
            if is_dead(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        is_dead(pid)
    }

    fn read_pid(path: &Path, within: Duration) -> u32 {
        let started = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(path)
                && let Ok(pid) = text.trim().parse()
            {
                return pid;
            }
            assert!(started.elapsed() < within, "no pid in {}", path.display());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[tokio::test]
    async fn a_hanging_tool_is_killed_at_the_timeout() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let started = Instant::now();
        let result = run(command, "ffmpeg", &bounds(Duration::from_millis(200))).await;
        assert!(
            matches!(result, Err(MediaError::Timeout { tool: "ffmpeg", .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_timeout_kills_what_the_tool_started_too() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 30 & echo $! > {}; wait", pid_file.display()));
        let result = run(command, "ffmpeg", &bounds(Duration::from_millis(300))).await;
        assert!(
            matches!(result, Err(MediaError::Timeout { .. })),
            "{result:?}"
        );
        let grandchild = read_pid(&pid_file, Duration::from_secs(5));
        assert!(
            wait_until_dead(grandchild, Duration::from_secs(5)),
            "the tool's own child {grandchild} survived the timeout"
        );
    }

    #[tokio::test]
    async fn the_memory_limit_and_no_core_dumps_apply_to_the_tool() {
        let mut command = Command::new("sh");
        command.arg("-c").arg("ulimit -v; ulimit -c");
        let bounds = Bounds {
            memory_bytes: 256 << 20,
            ..bounds(Duration::from_secs(10))
        };
        let stdout = run(command, "ffmpeg", &bounds).await.unwrap();
        assert_eq!(String::from_utf8(stdout).unwrap(), "262144\n0\n");
    }

    #[tokio::test]
    async fn running_out_of_memory_is_a_clear_error_not_a_hang() {
        // 8 MiB of address space is too little for a dynamically linked program to start:
        // exec fails cleanly, and stderr says why.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo done");
        let bounds = Bounds {
            memory_bytes: 8 << 20,
            ..bounds(Duration::from_secs(10))
        };
        let started = Instant::now();
        let result = run(command, "ffmpeg", &bounds).await;
        assert!(result.is_err(), "{result:?}");
        assert!(
            !matches!(result, Err(MediaError::Timeout { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn too_much_output_is_refused() {
        let mut command = Command::new("head");
        command.args(["-c", "3000000", "/dev/zero"]);
        let result = run(command, "ffprobe", &bounds(Duration::from_secs(10))).await;
        assert!(
            matches!(result, Err(MediaError::LimitExceeded(_))),
            "{result:?}"
        );
    }

    #[test]
    fn failures_are_classified_from_stderr_and_status() {
        use std::os::unix::process::ExitStatusExt;
        let bounds = bounds(Duration::from_secs(1));
        let exit_1 = ExitStatus::from_raw(1 << 8);
        let classify = |stderr: &str, status| failure("ffmpeg", status, stderr.as_bytes(), &bounds);
        let cases = [
            (
                "[IMGUTILS @ 0x1] Picture size 8192x4608 exceeds specified max pixel count 9437184",
                exit_1,
                "LimitExceeded",
            ),
            ("Error: Cannot allocate memory\n", exit_1, "LimitExceeded"),
            (
                "ffmpeg: error while loading shared libraries: libx.so: failed to map segment",
                ExitStatus::from_raw(127 << 8),
                "LimitExceeded",
            ),
            ("", ExitStatus::from_raw(libc::SIGSEGV), "Corrupt"),
            (
                "first\nInvalid data found when processing input\n",
                exit_1,
                "Corrupt",
            ),
        ];
        for (stderr, status, expected) in cases {
            let error = classify(stderr, status);
            assert!(
                format!("{error:?}").starts_with(expected),
                "{stderr:?}: {error:?}"
            );
        }
        assert!(mentions_max_pixels(
            b"x exceeds specified max pixel count y"
        ));
    }

    const HELPER_PID_FILE: &str = "MEDIA_TEST_PDEATHSIG_PID_FILE";

    /// Re-runs this test binary as a helper process that spawns `sleep` through [`spawn`]
    /// (from a tokio worker, like the server), kills the helper with SIGKILL, and checks
    /// that the sleep died with it.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_tool_dies_when_the_server_process_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("sleep.pid");
        let mut helper = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "subprocess::tests::helper_for_a_tool_dies_when_the_server_process_is_killed",
                "--nocapture",
            ])
            .env(HELPER_PID_FILE, &pid_file)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let sleep = read_pid(&pid_file, Duration::from_secs(20));
        assert!(!is_dead(sleep), "the helper's sleep should be running");
        helper.kill().unwrap();
        helper.wait().unwrap();
        assert!(
            wait_until_dead(sleep, Duration::from_secs(5)),
            "sleep {sleep} outlived its killed parent"
        );
    }

    /// Linux sends the parent-death signal when the forking *thread* exits: a tool started
    /// from a short-lived thread (a retired tokio worker, a blocking-pool thread) must not be
    /// killed with it.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_tool_outlives_the_thread_that_started_it() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let child = std::thread::spawn(move || {
            let mut command = Command::new("sleep");
            command.arg("30");
            handle
                .block_on(spawn(command, &bounds(Duration::MAX)))
                .unwrap()
        })
        .join()
        .unwrap();
        let pid = child.id().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !is_dead(pid),
            "the tool died with the thread that started it"
        );
        drop(child);
        assert!(wait_until_dead(pid, Duration::from_secs(5)));
    }

    /// Does nothing unless started by `a_tool_dies_when_the_server_process_is_killed`.
    #[test]
    fn helper_for_a_tool_dies_when_the_server_process_is_killed() {
        let Some(pid_file) = std::env::var_os(HELPER_PID_FILE) else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut command = Command::new("sleep");
            command.arg("60");
            let child = tokio::spawn(async move { spawn(command, &bounds(Duration::MAX)).await })
                .await
                .unwrap()
                .unwrap();
            let pid = child.id().unwrap();
            std::fs::write(&pid_file, pid.to_string()).unwrap();
            // Killed by the parent test long before this ends.
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(child);
        });
    }
}
