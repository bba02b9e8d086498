//! Who is at the other end of a Unix socket, in the kernel's words. The socket file's owner
//! and modes say who may connect; this says who did (for the daemon) and who is listening
//! (for a client), which a planted socket or a loosened mode cannot fake.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The user id of the process at the other end of the connected Unix socket `fd`: for a
/// connection the daemon accepted, the process that connected; for a client, the process
/// that called `listen` on the socket it connected to.
pub fn peer_uid(fd: BorrowedFd<'_>) -> io::Result<u32> {
    platform_peer_uid(fd.as_raw_fd())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn platform_peer_uid(fd: libc::c_int) -> io::Result<u32> {
    let mut credentials = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let expected = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    let mut length = expected;
    // SAFETY: `credentials` and `length` are valid for writes and `length` holds the size of
    // `credentials`, as SO_PEERCRED requires; a bad fd is an error return, not UB.
    let result = unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_PEERCRED, (&raw mut credentials).cast(), &mut length)
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    if length != expected {
        return Err(io::Error::other("the kernel's SO_PEERCRED answer has an unexpected size"));
    }
    Ok(credentials.uid)
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
fn platform_peer_uid(fd: libc::c_int) -> io::Result<u32> {
    let (mut uid, mut gid): (libc::uid_t, libc::gid_t) = (0, 0);
    // SAFETY: both pointers are valid for writes; a bad fd is an error return, not UB.
    if unsafe { libc::getpeereid(fd, &mut uid, &mut gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(uid)
}

/// Elsewhere the peer cannot be known, and an unknown peer is never trusted.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
fn platform_peer_uid(_: libc::c_int) -> io::Result<u32> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "this system does not say who is at the other end of a socket"))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    #[test]
    fn both_ends_of_a_socket_pair_are_this_user() {
        let (one, two) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let ours = crate::runtime_dir::current_uid();
        assert_eq!(peer_uid(one.as_fd()).expect("the peer of one end"), ours);
        assert_eq!(peer_uid(two.as_fd()).expect("the peer of the other"), ours);
    }

    #[test]
    fn a_file_is_not_a_socket_and_has_no_peer() {
        let file = tempfile::tempfile().expect("a file");
        assert!(peer_uid(file.as_fd()).is_err());
    }
}
