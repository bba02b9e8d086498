use std::fs;
use std::path::Path;
use std::time::Duration;

use super::*;

fn workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, bytes) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        fs::write(path, bytes).expect("a fixture file");
    }
    dir
}

/// One state folder for the tests of this process (each workspace gets its own folder in it),
/// instead of the user's.
fn state_home() -> &'static Path {
    static HOME: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("a temporary state folder")).path()
}

fn lock(root: &Path) -> WorkspaceLock {
    WorkspaceLock::acquire_in(state_home(), root, "test", Duration::from_secs(5)).expect("the lock")
}

fn write(path: &str, before: &str, after: &str) -> FileWrite {
    FileWrite::replace(path, before, after)
}

/// Temporary files in the workspace, and the journal in its state folder.
fn leftovers(lock: &WorkspaceLock) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![lock.root().to_path_buf(), lock.state_dir().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("a folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.contains(".taskmark-") || name.starts_with("journal") {
                    found.push(name);
                }
            }
        }
    }
    found
}

#[test]
fn commit_writes_every_file_and_leaves_nothing_behind() {
    let dir = workspace(&[("TODO.md", b"a [PLANNED]\n"), ("specs/state.json", b"{\"s\": \"planned\"}\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "set 1 completed".into(),
        files: vec![
            write("TODO.md", "a [PLANNED]\n", "a [COMPLETED]\n"),
            write("specs/state.json", "{\"s\": \"planned\"}\n", "{\"s\": \"completed\"}\n"),
        ],
        moves: Vec::new(),
    };
    let committed = transaction.commit(&lock).expect("committed");
    assert_eq!(committed.paths, ["TODO.md", "specs/state.json"]);
    assert_eq!(fs::read_to_string(dir.path().join("TODO.md")).unwrap(), "a [COMPLETED]\n");
    assert_eq!(fs::read_to_string(dir.path().join("specs/state.json")).unwrap(), "{\"s\": \"completed\"}\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
    assert!(!dir.path().join(".taskmark").exists(), "nothing of taskmark's own is written in the work tree");
    assert!(!lock.state_dir().starts_with(lock.root()));
}

#[test]
fn a_prepared_transaction_replaces_nothing_until_committed() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let transaction =
        Transaction { label: "t".into(), files: vec![write("a.md", "old\n", "new\n")], moves: Vec::new() };

    let prepared = transaction.prepare(&lock).expect("prepared");
    assert_eq!(prepared.paths(), ["a.md"]);
    assert_eq!(leftovers(&lock).len(), 2, "a temporary file and the journal");
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "old\n");
    prepared.abort();
    assert_eq!(leftovers(&lock), Vec::<String>::new());

    // Dropped on an error path: the same.
    drop(transaction.prepare(&lock).expect("prepared"));
    assert_eq!(leftovers(&lock), Vec::<String>::new());
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "old\n");

    transaction.prepare(&lock).expect("prepared").commit().expect("committed");
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_file_changed_since_it_was_read_is_a_conflict_and_nothing_is_written() {
    let dir = workspace(&[("a.md", b"one\n"), ("b.md", b"edited by someone else\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "fix".into(),
        files: vec![write("a.md", "one\n", "ONE\n"), write("b.md", "two\n", "TWO\n")],
        moves: Vec::new(),
    };
    let error = transaction.commit(&lock).expect_err("a conflict");
    assert!(matches!(&error, TransactionError::Conflict { path, .. } if path == "b.md"), "{error}");
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "one\n");
    assert_eq!(fs::read_to_string(dir.path().join("b.md")).unwrap(), "edited by someone else\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn unsafe_targets_are_refused_with_the_file_and_the_reason() {
    let outside = workspace(&[("elsewhere.md", b"x\n")]);
    let dir = workspace(&[("a.md", b"x\n"), ("latin1.md", b"caf\xe9\n")]);
    let lock = lock(dir.path());
    let refused = |path: &str, before: &str| {
        let transaction =
            Transaction { label: "t".into(), files: vec![write(path, before, "changed\n")], moves: Vec::new() };
        match transaction.commit(&lock) {
            Err(TransactionError::Refused { path, reason }) => format!("{path}: {reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    assert_eq!(refused("../elsewhere.md", "x\n"), "../elsewhere.md: the path leaves the workspace root");
    assert_eq!(refused("latin1.md", "caf\u{fffd}\n"), "latin1.md: the file is not valid UTF-8");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::os::unix::fs::symlink(outside.path().join("elsewhere.md"), dir.path().join("link.md")).unwrap();
        let message = refused("link.md", "x\n");
        assert!(message.starts_with("link.md: it resolves to ") && message.contains("outside the workspace root"));
        fs::set_permissions(dir.path().join("a.md"), fs::Permissions::from_mode(0o444)).unwrap();
        assert_eq!(refused("a.md", "x\n"), "a.md: the file is read-only");
    }
    assert_eq!(fs::read_to_string(outside.path().join("elsewhere.md")).unwrap(), "x\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_root_write_their_target_and_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace(&[("real/TODO.md", b"old\n")]);
    fs::set_permissions(dir.path().join("real/TODO.md"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real/TODO.md", dir.path().join("TODO.md")).unwrap();
    let lock = lock(dir.path());
    let transaction =
        Transaction { label: "t".into(), files: vec![write("TODO.md", "old\n", "new\n")], moves: Vec::new() };
    transaction.commit(&lock).expect("committed");
    assert!(fs::symlink_metadata(dir.path().join("TODO.md")).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_to_string(dir.path().join("real/TODO.md")).unwrap(), "new\n");
    let mode = fs::metadata(dir.path().join("real/TODO.md")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn recovery_rolls_a_prepared_journal_back_and_a_committed_one_forward() {
    let dir = workspace(&[("a.md", b"old a\n"), ("b.md", b"new b\n")]);
    let lock = lock(dir.path());
    let root = lock.root().to_path_buf();
    let temp_a = root.join(".a.md.taskmark-7-1-0.tmp");
    let temp_b = root.join(".b.md.taskmark-7-1-1.tmp");
    let journal = |state| Journal {
        id: "7-1".into(),
        label: "set 1 done".into(),
        root: root.clone(),
        state,
        files: vec![
            JournalFile {
                path: "a.md".into(),
                target: root.join("a.md"),
                temp: temp_a.clone(),
                after_hash: journal::hash(b"new a\n"),
                created: false,
                before_hash: None,
            },
            JournalFile {
                path: "b.md".into(),
                target: root.join("b.md"),
                temp: temp_b.clone(),
                after_hash: journal::hash(b"new b\n"),
                created: false,
                before_hash: None,
            },
        ],
        folders: Vec::new(),
        moves: Vec::new(),
    };

    // Crashed while writing temporary files: nothing was replaced, the temporaries go.
    fs::write(&temp_a, "new a\n").unwrap();
    journal(JournalState::Prepared).store(lock.state_dir()).unwrap();
    let recovery = recover(&lock).unwrap().expect("a recovery");
    assert!(matches!(recovery, Recovery::RolledBack { .. }), "{recovery}");
    assert!(!temp_a.exists());
    assert_eq!(fs::read_to_string(root.join("a.md")).unwrap(), "old a\n");

    // Crashed after renaming b.md but before a.md: a.md is renamed now.
    fs::write(&temp_a, "new a\n").unwrap();
    journal(JournalState::Committed).store(lock.state_dir()).unwrap();
    let recovery = recover(&lock).unwrap().expect("a recovery");
    assert_eq!(
        recovery.to_string(),
        "completed an interrupted transaction (set 1 done, 7-1): a.md, b.md now hold its new content"
    );
    assert_eq!(fs::read_to_string(root.join("a.md")).unwrap(), "new a\n");
    assert_eq!(recover(&lock).unwrap(), None);
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_journal_that_cannot_be_read_stops_everything_and_says_where() {
    let dir = workspace(&[("a.md", b"x\n")]);
    let lock = lock(dir.path());
    fs::write(lock.state_dir().join("journal"), "{ not json").unwrap();
    let error = recover(&lock).expect_err("an unreadable journal");
    let message = error.to_string();
    assert!(message.contains(&lock.state_dir().join("journal").display().to_string()), "{message}");
    assert!(message.contains("`taskmark recover --discard` forgets"), "{message}");
}

#[test]
fn a_second_lock_waits_and_then_names_the_holder() {
    let dir = workspace(&[("a.md", b"x\n")]);
    let _held =
        WorkspaceLock::acquire_in(state_home(), dir.path(), "set 221 completed", Duration::from_secs(1)).unwrap();
    let error = WorkspaceLock::acquire_in(state_home(), dir.path(), "fix", Duration::from_millis(50))
        .expect_err("the lock is held");
    let message = error.to_string();
    assert!(message.contains("another taskmark command holds the workspace lock"), "{message}");
    assert!(message.contains("set 221 completed"), "{message}");
}

#[test]
fn a_long_file_name_still_gets_a_temporary_file() {
    let long = format!("backlog/tasks/back-1 - {}.md", "é".repeat(110));
    let dir = workspace(&[(long.as_str(), b"status: To Do\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "t".into(),
        files: vec![write(&long, "status: To Do\n", "status: Done\n")],
        moves: Vec::new(),
    };
    transaction.commit(&lock).expect("committed");
    assert_eq!(fs::read_to_string(dir.path().join(&long)).unwrap(), "status: Done\n");
}

#[test]
fn oversized_plans_are_refused() {
    let dir = workspace(&[("a.md", b"x\n")]);
    let lock = lock(dir.path());
    let files = (0..=MAX_FILES).map(|it| write(&format!("f{it}.md"), "x\n", "y\n")).collect();
    let error = Transaction { label: "t".into(), files, moves: Vec::new() }.commit(&lock).expect_err("too many files");
    assert!(error.to_string().contains("over the limit of 512"), "{error}");
}

/// A journal whose single file is `(target, temp)`, stored where recovery looks.
fn plant_journal(lock: &WorkspaceLock, state: JournalState, id: &str, target: &Path, temp: &Path) {
    Journal {
        id: id.into(),
        label: "planted".into(),
        root: lock.root().to_path_buf(),
        state,
        files: vec![JournalFile {
            path: "specs/TODO.md".into(),
            target: target.to_path_buf(),
            temp: temp.to_path_buf(),
            after_hash: journal::hash(b"payload"),
            created: false,
            before_hash: None,
        }],
        folders: Vec::new(),
        moves: Vec::new(),
    }
    .store(lock.state_dir())
    .expect("a journal");
}

/// What recovery said when it left a file it cannot prove its own as it is, and went on.
fn recovery_leaving_alone(lock: &WorkspaceLock) -> String {
    match recover(lock) {
        Ok(Some(recovery)) if recovery.to_string().contains(" as it is: ") => recovery.to_string(),
        other => panic!("expected recovery to leave a file alone and end, got {other:?}"),
    }
}

fn refused_recovery(lock: &WorkspaceLock) -> String {
    match recover(lock) {
        Err(error @ TransactionError::Refused { .. }) => error.to_string(),
        other => panic!("expected recovery to be refused, got {other:?}"),
    }
}

#[test]
fn recovery_touches_nothing_outside_the_root_or_not_named_as_its_own() {
    let outside = workspace(&[("victim.txt", b"precious\n"), ("keep.txt", b"keep me\n")]);
    let dir = workspace(&[("specs/TODO.md", b"x\n"), ("payload", b"payload")]);
    let lock = lock(dir.path());
    let root = lock.root().to_path_buf();
    let victim = fs::canonicalize(outside.path().join("victim.txt")).unwrap();
    let keep = fs::canonicalize(outside.path().join("keep.txt")).unwrap();

    // A committed journal renaming a file of the workspace over one outside it.
    plant_journal(&lock, JournalState::Committed, "1-1", &victim, &root.join("payload"));
    let message = refused_recovery(&lock);
    assert!(message.contains("not a file inside the workspace root"), "{message}");
    // A prepared journal deleting a file outside the workspace as its "temporary file".
    plant_journal(&lock, JournalState::Prepared, "1-1", &root.join("specs/TODO.md"), &keep);
    let message = refused_recovery(&lock);
    assert!(message.contains("not the temporary file taskmark would have written"), "{message}");
    // A relative temporary path, and a temporary file that is any file of the workspace.
    plant_journal(&lock, JournalState::Committed, "1-1", &root.join("specs/TODO.md"), Path::new("payload"));
    refused_recovery(&lock);
    plant_journal(&lock, JournalState::Committed, "1-1", &root.join("specs/TODO.md"), &root.join("payload"));
    refused_recovery(&lock);
    // An id that would put path separators into the temporary name.
    let sneaky = root.join("specs/.TODO.md.taskmark-../../x-0.tmp");
    plant_journal(&lock, JournalState::Prepared, "../../x", &root.join("specs/TODO.md"), &sneaky);
    let message = refused_recovery(&lock);
    assert!(message.contains("not a transaction id"), "{message}");
    // A journal of another workspace.
    let other = workspace(&[("a.md", b"x\n")]);
    let mut journal = Journal::load(lock.state_dir()).unwrap().expect("the planted journal");
    journal.root = fs::canonicalize(other.path()).unwrap();
    journal.store(lock.state_dir()).unwrap();
    assert!(refused_recovery(&lock).contains("belongs to the workspace"));

    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(fs::read_to_string(&keep).unwrap(), "keep me\n");
    assert_eq!(fs::read_to_string(root.join("specs/TODO.md")).unwrap(), "x\n");
    assert_eq!(fs::read_to_string(root.join("payload")).unwrap(), "payload");
}

#[cfg(unix)]
#[test]
fn recovery_acts_only_on_regular_temporary_files_of_this_user_and_still_ends() {
    let outside = workspace(&[("secret.txt", b"secret\n")]);
    let dir = workspace(&[("TODO.md", b"x\n")]);
    let lock = lock(dir.path());
    let root = lock.root().to_path_buf();
    let target = root.join("TODO.md");
    let temp = journal::temp_path(&target, "5-5", 0).expect("a temporary path");

    // A symlink under the temporary file's name, pointing outside.
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), &temp).unwrap();
    plant_journal(&lock, JournalState::Committed, "5-5", &target, &temp);
    assert!(recovery_leaving_alone(&lock).contains("is not a regular file"));
    plant_journal(&lock, JournalState::Prepared, "5-5", &target, &temp);
    assert!(recovery_leaving_alone(&lock).contains("is not a regular file"));
    assert!(fs::symlink_metadata(&temp).unwrap().file_type().is_symlink(), "the link was left alone");
    fs::remove_file(&temp).unwrap();

    // A hard link to a file outside, under the temporary file's name.
    if fs::hard_link(outside.path().join("secret.txt"), &temp).is_ok() {
        plant_journal(&lock, JournalState::Committed, "5-5", &target, &temp);
        assert!(recovery_leaving_alone(&lock).contains("hard links"));
        fs::remove_file(&temp).unwrap();
    }

    // Another user's file under that name (only root can make one).
    // SAFETY: getuid(2) has no preconditions.
    if unsafe { libc::getuid() } == 0 {
        fs::write(&temp, "theirs").unwrap();
        std::os::unix::fs::chown(&temp, Some(65534), Some(65534)).unwrap();
        plant_journal(&lock, JournalState::Prepared, "5-5", &target, &temp);
        assert!(recovery_leaving_alone(&lock).contains("belongs to another user"));
        assert!(temp.exists(), "another user's file is not deleted");
    } else {
        println!("not root: another user's temporary file was not tried");
    }
    assert_eq!(fs::read_to_string(outside.path().join("secret.txt")).unwrap(), "secret\n");
    assert_eq!(fs::read_to_string(&target).unwrap(), "x\n");
}

#[cfg(unix)]
#[test]
fn a_symlinked_lock_or_state_folder_is_refused() {
    let outside = workspace(&[("victim.txt", b"precious\n")]);
    let dir = workspace(&[("a.md", b"x\n")]);
    let root = fs::canonicalize(dir.path()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let state = state_dir::for_workspace(home.path(), &root).unwrap();
    std::os::unix::fs::symlink(outside.path().join("victim.txt"), state.join("lock")).unwrap();
    let error = WorkspaceLock::acquire_in(home.path(), &root, "t", Duration::from_secs(1)).expect_err("refused");
    assert!(error.to_string().contains("is a symlink"), "{error}");
    assert_eq!(fs::read_to_string(outside.path().join("victim.txt")).unwrap(), "precious\n");

    let linked_home = tempfile::tempdir().unwrap();
    fs::remove_file(state.join("lock")).unwrap();
    std::os::unix::fs::symlink(&state, linked_home.path().join(state.file_name().unwrap())).unwrap();
    let error = WorkspaceLock::acquire_in(linked_home.path(), &root, "t", Duration::from_secs(1)).expect_err("refused");
    assert!(error.to_string().contains("not a folder"), "{error}");
}

#[test]
fn a_journal_taskmark_wrote_passes_its_own_checks_and_rolls_forward() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let mut journal = died_after_preparing(&lock, &set_a_done());
    assert!(journal.check(lock.root()).is_ok(), "a journal taskmark wrote passes its own checks");
    journal.state = JournalState::Committed;
    journal.store(lock.state_dir()).unwrap();
    assert_eq!(leftovers(&lock).len(), 2);
    let recovery = recover(&lock).unwrap().expect("a recovery");
    assert!(matches!(recovery, Recovery::Completed { .. }));
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
}

/// `set 1 done`: a.md from `old` to `new`.
fn set_a_done() -> Transaction {
    Transaction::new("set 1 done", vec![write("a.md", "old\n", "new\n")])
}

/// The journal a process leaves that died right after preparing `transaction`.
fn died_after_preparing(lock: &WorkspaceLock, transaction: &Transaction) -> Journal {
    std::mem::forget(transaction.prepare(lock).expect("prepared"));
    Journal::load(lock.state_dir()).unwrap().expect("a journal")
}

fn moving(from: &str, to: &str) -> PathMove {
    PathMove { from: from.into(), to: to.into() }
}

#[test]
fn moves_happen_after_the_writes_and_create_missing_folders() {
    let dir = workspace(&[
        ("specs/TODO.md", b"### 14. X\n"),
        ("specs/014_x/plans/p.md", b"plan\n"),
        ("specs/014_x/notes.txt", b"not indexed\n"),
        ("backlog/tasks/t-1 - A.md", b"---\nid: T-1\n---\n"),
    ]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "archive 14".into(),
        files: vec![write("specs/TODO.md", "### 14. X\n", "")],
        moves: vec![
            moving("specs/014_x", "specs/archive/014_x"),
            moving("backlog/tasks/t-1 - A.md", "backlog/completed/t-1 - A.md"),
        ],
    };
    let committed = transaction.commit(&lock).expect("committed");
    assert!(committed.paths.contains(&"specs/archive/014_x".to_string()), "{:?}", committed.paths);
    assert_eq!(fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap(), "");
    assert_eq!(fs::read_to_string(dir.path().join("specs/archive/014_x/plans/p.md")).unwrap(), "plan\n");
    assert_eq!(fs::read_to_string(dir.path().join("specs/archive/014_x/notes.txt")).unwrap(), "not indexed\n");
    assert!(!dir.path().join("specs/014_x").exists());
    assert!(dir.path().join("backlog/completed/t-1 - A.md").is_file());
    assert!(!dir.path().join("backlog/tasks/t-1 - A.md").exists());
    assert!(leftovers(&lock).is_empty(), "{:?}", leftovers(&lock));
}

#[test]
fn unsafe_moves_are_refused_and_nothing_changes() {
    let dir = workspace(&[("specs/a/p.md", b"p\n"), ("specs/b/p.md", b"q\n"), ("TODO.md", b"old\n")]);
    std::os::unix::fs::symlink("a", dir.path().join("specs/link")).unwrap();
    let lock = lock(dir.path());
    let attempt = |moves: Vec<PathMove>| {
        let transaction =
            Transaction { label: "archive".into(), files: vec![write("TODO.md", "old\n", "new\n")], moves };
        transaction.commit(&lock).expect_err("refused").to_string()
    };
    assert!(attempt(vec![moving("specs/a", "specs/b")]).contains("already exists"));
    assert!(attempt(vec![moving("specs/link", "specs/c")]).contains("symlink"));
    assert!(attempt(vec![moving("specs/a", "../outside")]).contains("leave the workspace root"));
    assert!(attempt(vec![moving("specs/a", "specs/a/inner")]).contains("into itself"));
    assert!(attempt(vec![moving("specs/gone", "specs/c")]).contains("deleted"));
    let inside = Transaction {
        label: "archive".into(),
        files: vec![write("specs/a/p.md", "p\n", "P\n")],
        moves: vec![moving("specs/a", "specs/c")],
    };
    assert!(inside.commit(&lock).expect_err("refused").to_string().contains("written by the same change"));
    assert_eq!(fs::read_to_string(dir.path().join("TODO.md")).unwrap(), "old\n");
    assert!(dir.path().join("specs/a/p.md").is_file() && !dir.path().join("specs/c").exists());
    assert!(leftovers(&lock).is_empty(), "{:?}", leftovers(&lock));
}

#[test]
fn a_committed_journal_finishes_its_moves_once() {
    let dir = workspace(&[("a.md", b"old\n"), ("specs/014_x/p.md", b"p\n"), ("specs/015_y/p.md", b"q\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "archive 14 15".into(),
        files: vec![write("a.md", "old\n", "new\n")],
        moves: vec![moving("specs/014_x", "specs/archive/014_x"), moving("specs/015_y", "specs/archive/015_y")],
    };
    let prepared = transaction.prepare(&lock).expect("prepared");
    std::mem::forget(prepared); // as if the process died after committing, one move done
    let mut journal = Journal::load(lock.state_dir()).unwrap().expect("a journal");
    assert!(journal.check(lock.root()).is_ok());
    journal.state = JournalState::Committed;
    journal.store(lock.state_dir()).unwrap();
    fs::rename(dir.path().join("specs/014_x"), dir.path().join("specs/archive/014_x")).unwrap();
    let recovery = recover(&lock).unwrap().expect("a recovery");
    assert!(matches!(recovery, Recovery::Completed { .. }), "{recovery:?}");
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
    assert!(dir.path().join("specs/archive/014_x/p.md").is_file());
    assert!(dir.path().join("specs/archive/015_y/p.md").is_file());
    assert!(!dir.path().join("specs/015_y").exists());
    assert!(recover(&lock).unwrap().is_none(), "nothing left to do");
}

#[test]
fn a_journal_whose_move_leaves_the_root_is_not_acted_on() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let outside = workspace(&[("victim/keep.md", b"keep\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction::new("t", vec![write("a.md", "old\n", "new\n")]);
    std::mem::forget(transaction.prepare(&lock).expect("prepared"));
    let mut journal = Journal::load(lock.state_dir()).unwrap().expect("a journal");
    journal.state = JournalState::Committed;
    journal.moves.push(JournalMove {
        from: fs::canonicalize(outside.path()).unwrap().join("victim"),
        to: lock.root().join("stolen"),
    });
    journal.store(lock.state_dir()).unwrap();
    let error = recover(&lock).expect_err("refused");
    assert!(error.to_string().contains("leaves the workspace root"), "{error}");
    assert!(outside.path().join("victim/keep.md").is_file());
}

mod hostile_journals {
    //! Journals as a tampered state folder or a bug could leave them: recovery acts only on what
    //! it can prove it wrote, whatever the journal says.

    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::*;

    /// A path a journal may name: files of the workspace, its real temporary names, files
    /// outside it, relative and `..` paths, the root itself.
    #[derive(Debug, Clone)]
    enum Named {
        Inside(&'static str),
        TempOf(&'static str, usize),
        TempWithId(&'static str, &'static str, usize),
        Outside(&'static str),
        Relative(&'static str),
        Climbing,
        Root,
    }

    fn named() -> impl Strategy<Value = Named> {
        let inside = prop::sample::select(vec!["a.md", "specs/TODO.md", "payload"]);
        prop_oneof![
            inside.clone().prop_map(Named::Inside),
            (inside.clone(), 0usize..3).prop_map(|(it, n)| Named::TempOf(it, n)),
            (inside, prop::sample::select(vec!["1-1", "../x", "", "1-1/.."]), 0usize..3)
                .prop_map(|(it, id, n)| Named::TempWithId(it, id, n)),
            prop::sample::select(vec!["victim.txt", "keep.txt"]).prop_map(Named::Outside),
            prop::sample::select(vec!["a.md", "payload", "../victim.txt"]).prop_map(Named::Relative),
            Just(Named::Climbing),
            Just(Named::Root),
        ]
    }

    fn resolve(named: &Named, root: &Path, outside: &Path, id: &str) -> PathBuf {
        match named {
            Named::Inside(path) => root.join(path),
            Named::TempOf(path, number) => journal::temp_path(&root.join(path), id, *number).expect("a temporary path"),
            Named::TempWithId(path, other, number) => {
                journal::temp_path(&root.join(path), other, *number).expect("a temporary path")
            }
            Named::Outside(path) => outside.join(path),
            Named::Relative(path) => PathBuf::from(path),
            Named::Climbing => root.join("specs/../../victim.txt"),
            Named::Root => root.to_path_buf(),
        }
    }

    /// Every regular file under `dir`, with its bytes.
    fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut found = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(folder) = stack.pop() {
            for entry in fs::read_dir(&folder).expect("a folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.insert(path.clone(), fs::read(&path).unwrap_or_default());
                }
            }
        }
        found
    }

    proptest! {
        #[test]
        fn recovery_never_touches_a_file_it_cannot_prove_it_wrote(
            committed in any::<bool>(),
            id in prop::sample::select(vec!["1-1", "12-345", "x", "../1", "1-1-1", ""]),
            entries in prop::collection::vec((named(), named(), any::<bool>(), any::<bool>()), 1..4),
            folders in prop::collection::vec(named(), 0..3),
            temps_written in prop::collection::vec((prop::sample::select(vec!["a.md", "specs/TODO.md", "payload"]), 0usize..3), 0..3),
        ) {
            let outside = workspace(&[("victim.txt", b"precious"), ("keep.txt", b"keep")]);
            let dir = workspace(&[("a.md", b"old a"), ("specs/TODO.md", b"old todo"), ("payload", b"payload")]);
            let lock = lock(dir.path());
            let root = lock.root().to_path_buf();
            let outside_root = fs::canonicalize(outside.path()).unwrap();
            // Temporary files as a crashed commit of transaction `id` would have left them.
            for (path, number) in &temps_written {
                if let Some(temp) = journal::temp_path(&root.join(path), id, *number) {
                    let _ = fs::write(temp, b"new content");
                }
            }
            let files = entries
                .iter()
                .map(|(target, temp, good_hash, created)| JournalFile {
                    path: "x".into(),
                    target: resolve(target, &root, &outside_root, id),
                    temp: resolve(temp, &root, &outside_root, id),
                    after_hash: if *good_hash { journal::hash(b"new content") } else { "00".into() },
                    created: *created,
                    before_hash: None,
                })
                .collect();
            let folders = folders.iter().map(|it| resolve(it, &root, &outside_root, id)).collect();
            let state = if committed { JournalState::Committed } else { JournalState::Prepared };
            Journal { id: id.into(), label: "planted".into(), root: root.clone(), state, files, folders, moves: Vec::new() }
                .store(lock.state_dir())
                .expect("a journal");
            let outside_before = contents(outside.path());
            let inside_before = contents(&root);
            let journal = Journal::load(lock.state_dir()).unwrap().expect("the journal");
            let allowed = journal.check(&root).is_ok();
            let _ = recover(&lock);

            prop_assert_eq!(contents(outside.path()), outside_before, "a file outside the root changed");
            let inside_after = contents(&root);
            for (path, bytes) in &inside_before {
                let is_temp = path.file_name().is_some_and(|it| it.to_string_lossy().contains(".taskmark-"));
                match inside_after.get(path) {
                    Some(after) if after == bytes => {}
                    // A target may only ever receive a temporary file's content, from a journal
                    // that passed every check.
                    Some(after) => prop_assert!(allowed && after == b"new content", "{} changed", path.display()),
                    // Only taskmark's own temporary files go away.
                    None => prop_assert!(is_temp && allowed, "{} was removed", path.display()),
                }
            }
        }

        #[test]
        fn any_bytes_in_the_journal_are_refused_or_read_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let dir = workspace(&[("a.md", b"x")]);
            let lock = lock(dir.path());
            fs::write(lock.state_dir().join("journal"), &bytes).unwrap();
            let _ = Journal::load(lock.state_dir());
            let _ = recover(&lock);
            prop_assert_eq!(fs::read(dir.path().join("a.md")).unwrap(), b"x".to_vec());
        }
    }
}

#[test]
fn a_new_file_is_created_with_its_folders_and_never_replaces_one() {
    let dir = workspace(&[("specs/TODO.md", b"old\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "new 17".into(),
        files: vec![
            write("specs/TODO.md", "old\n", "new\n"),
            FileWrite::create("specs/017_audit/plans/implementation-001.md", "# Plan\n"),
        ],
        moves: Vec::new(),
    };
    let committed = transaction.commit(&lock).expect("committed");
    assert_eq!(committed.paths, ["specs/TODO.md", "specs/017_audit/plans/implementation-001.md"]);
    assert_eq!(fs::read_to_string(dir.path().join("specs/017_audit/plans/implementation-001.md")).unwrap(), "# Plan\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());

    // The same transaction again: the file exists now, so nothing is written, not even TODO.md.
    let again = Transaction {
        label: "new 17".into(),
        files: vec![
            write("specs/TODO.md", "new\n", "newer\n"),
            FileWrite::create("specs/017_audit/plans/implementation-001.md", "# Other\n"),
        ],
        moves: Vec::new(),
    };
    let error = again.commit(&lock).expect_err("a conflict");
    assert!(matches!(error, TransactionError::Conflict { .. }), "{error}");
    assert!(error.to_string().contains("specs/017_audit/plans/implementation-001.md"), "{error}");
    assert_eq!(fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap(), "new\n");
    assert_eq!(fs::read_to_string(dir.path().join("specs/017_audit/plans/implementation-001.md")).unwrap(), "# Plan\n");
}

#[test]
fn a_rolled_back_creation_removes_its_new_folders_and_nothing_else() {
    let dir = workspace(&[("specs/TODO.md", b"old\n")]);
    let lock = lock(dir.path());
    let transaction = Transaction {
        label: "new 18".into(),
        files: vec![FileWrite::create("specs/018_x/plans/a.md", "# A\n"), write("specs/TODO.md", "old\n", "new\n")],
        moves: Vec::new(),
    };
    let prepared = transaction.prepare(&lock).expect("prepared");
    assert!(dir.path().join("specs/018_x/plans").is_dir(), "folders exist once prepared");
    prepared.abort();
    assert!(!dir.path().join("specs/018_x").exists(), "the new folders are gone again");
    assert!(dir.path().join("specs").is_dir(), "a folder that was there stays");
    assert_eq!(leftovers(&lock), Vec::<String>::new());

    // A crash after the temporary files were written: recovery removes them and the folders.
    let prepared = transaction.prepare(&lock).expect("prepared");
    std::mem::forget(prepared);
    let recovery = recover(&lock).expect("recovered").expect("a recovery");
    assert!(matches!(recovery, Recovery::RolledBack { .. }), "{recovery}");
    assert!(!dir.path().join("specs/018_x").exists());
    assert_eq!(fs::read_to_string(dir.path().join("specs/TODO.md")).unwrap(), "old\n");
}

#[test]
fn a_created_file_is_never_written_through_a_link_or_outside_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let dir = workspace(&[("specs/TODO.md", b"old\n")]);
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("specs/019_link")).unwrap();
    let lock = lock(dir.path());
    for path in ["../escape.md", "/tmp/escape.md", "specs/../../escape.md", ""] {
        let transaction =
            Transaction { label: "new".into(), files: vec![FileWrite::create(path, "x")], moves: Vec::new() };
        let error = transaction.commit(&lock).expect_err("refused");
        assert!(matches!(error, TransactionError::Refused { .. }), "{path}: {error}");
    }
    #[cfg(unix)]
    {
        let transaction = Transaction {
            label: "new".into(),
            files: vec![FileWrite::create("specs/019_link/plan.md", "x")],
            moves: Vec::new(),
        };
        let error = transaction.commit(&lock).expect_err("refused");
        assert!(error.to_string().contains("not a folder"), "{error}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0, "nothing written through the link");
    }
}

#[test]
fn recovery_finishes_a_creation_that_crashed_between_link_and_unlink() {
    let dir = workspace(&[("specs/TODO.md", b"old\n")]);
    let lock = lock(dir.path());
    let root = lock.root().to_path_buf();
    let target = root.join("specs/new.md");
    let temp = journal::temp_path(&target, "9-9", 0).unwrap();
    fs::write(&temp, "fresh\n").unwrap();
    fs::hard_link(&temp, &target).unwrap();
    Journal {
        id: "9-9".into(),
        label: "new 20".into(),
        root: root.clone(),
        state: JournalState::Committed,
        files: vec![JournalFile {
            path: "specs/new.md".into(),
            target: target.clone(),
            temp: temp.clone(),
            after_hash: journal::hash(b"fresh\n"),
            created: true,
            before_hash: None,
        }],
        folders: Vec::new(),
        moves: Vec::new(),
    }
    .store(lock.state_dir())
    .unwrap();
    let recovery = recover(&lock).expect("recovered").expect("a recovery");
    assert!(matches!(recovery, Recovery::Completed { .. }), "{recovery}");
    assert!(!temp.exists());
    assert_eq!(fs::read_to_string(&target).unwrap(), "fresh\n");

    // A committed creation whose target someone else wrote meanwhile: left alone, reported.
    fs::write(&temp, "mine\n").unwrap();
    let theirs = root.join("specs/theirs.md");
    fs::write(&theirs, "theirs\n").unwrap();
    Journal {
        id: "9-10".into(),
        label: "new 21".into(),
        root: root.clone(),
        state: JournalState::Committed,
        files: vec![JournalFile {
            path: "specs/theirs.md".into(),
            target: theirs.clone(),
            temp: journal::temp_path(&theirs, "9-10", 0).unwrap(),
            after_hash: journal::hash(b"mine\n"),
            created: true,
            before_hash: None,
        }],
        folders: Vec::new(),
        moves: Vec::new(),
    }
    .store(lock.state_dir())
    .unwrap();
    fs::rename(&temp, journal::temp_path(&theirs, "9-10", 0).unwrap()).unwrap();
    let recovery = recover(&lock).expect("recovery ends").expect("a recovery");
    assert_eq!(
        recovery.to_string(),
        "completed an interrupted transaction (new 21, 9-10): no file needed its new content; kept the specs/theirs.md that appeared after the crash, without the file `new 21` was to create"
    );
    assert_eq!(fs::read_to_string(&theirs).unwrap(), "theirs\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_journal_naming_folders_outside_the_root_is_refused() {
    let dir = workspace(&[("a.md", b"a\n")]);
    let lock = lock(dir.path());
    let outside = tempfile::tempdir().unwrap();
    Journal {
        id: "9-11".into(),
        label: "planted".into(),
        root: lock.root().to_path_buf(),
        state: JournalState::Prepared,
        files: Vec::new(),
        folders: vec![outside.path().join("x"), lock.root().join("../y")],
        moves: Vec::new(),
    }
    .store(lock.state_dir())
    .unwrap();
    let message = refused_recovery(&lock);
    assert!(message.contains("not inside the workspace root"), "{message}");
}

#[test]
fn a_commit_line_cut_short_by_a_crash_reads_as_not_committed() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    // As if the process died while appending the commit line.
    let journal = died_after_preparing(&lock, &set_a_done());
    let path = lock.state_dir().join("journal");
    let stored = fs::read(&path).unwrap();
    let line = format!("\ncommitted {}\n", journal.id);
    for cut in 0..line.len() {
        let mut torn = stored.clone();
        torn.extend_from_slice(&line.as_bytes()[..cut]);
        fs::write(&path, &torn).unwrap();
        assert_eq!(Journal::load(lock.state_dir()).unwrap().expect("a journal").state, JournalState::Prepared);
    }
    fs::write(&path, [stored.as_slice(), b"\ncommitted 1-2\n"].concat()).unwrap();
    let refused = Journal::load(lock.state_dir()).expect_err("another transaction's line is not this one's");
    assert!(refused.to_string().contains("something follows it"), "{refused}");
    // Cut short, it rolls back: a.md keeps its text and nothing is left.
    fs::write(&path, [stored.as_slice(), &line.as_bytes()[..4]].concat()).unwrap();
    assert!(matches!(recover(&lock).unwrap(), Some(Recovery::RolledBack { .. })));
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "old\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_whole_commit_line_rolls_forward() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let journal = died_after_preparing(&lock, &set_a_done());
    journal.mark_committed(lock.state_dir()).unwrap();
    assert_eq!(Journal::load(lock.state_dir()).unwrap().expect("a journal").state, JournalState::Committed);
    assert!(matches!(recover(&lock).unwrap(), Some(Recovery::Completed { .. })));
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_journal_kept_after_the_commit_names_a_finished_transaction_until_removed() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let (committed, journal) =
        set_a_done().prepare(&lock).expect("prepared").commit_keeping_journal().expect("committed");
    assert_eq!(committed.paths, ["a.md"]);
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
    assert_eq!(leftovers(&lock), ["journal"], "only the journal waits");
    journal.remove().unwrap();
    assert_eq!(leftovers(&lock), Vec::<String>::new());

    // Had the process died before removing it (an agent's server killed right after its
    // answer), nothing is pending: read-only commands stay quiet and the next write removes it
    // without a word.
    let transaction =
        Transaction { label: "set 1 again".into(), files: vec![write("a.md", "new\n", "newer\n")], moves: Vec::new() };
    let (_, journal) = transaction.prepare(&lock).expect("prepared").commit_keeping_journal().expect("committed");
    std::mem::forget(journal);
    let state_dir = lock.state_dir().to_path_buf();
    drop(lock);
    assert_eq!(pending_in(state_home(), dir.path()).unwrap(), None, "finished, not interrupted");
    let lock = self::lock(dir.path());
    assert_eq!(recover(&lock).unwrap(), None);
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "newer\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
    assert_eq!(Journal::load(&state_dir).unwrap(), None);
}

#[test]
fn a_kept_journal_whose_file_changed_since_is_finished_and_keeps_the_change() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let (_, journal) = set_a_done().prepare(&lock).expect("prepared").commit_keeping_journal().expect("committed");
    std::mem::forget(journal);
    drop(lock);
    // Edited since (an editor, `git pull`): its temporary file is gone, so it was renamed, and
    // the transaction is complete whatever the file holds now.
    fs::write(dir.path().join("a.md"), "edited since\n").unwrap();
    assert_eq!(pending_in(state_home(), dir.path()).unwrap(), None, "finished, not interrupted");
    let lock = self::lock(dir.path());
    assert_eq!(recover(&lock).unwrap(), None);
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "edited since\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
    drop(lock);

    // Back at the content it replaced with its temporary file gone: the rename never happened
    // (someone removed the temporary file), which is reported, and recovery still ends.
    let lock = self::lock(dir.path());
    fs::write(dir.path().join("a.md"), "old\n").unwrap();
    let (_, journal) = set_a_done().prepare(&lock).expect("prepared").commit_keeping_journal().expect("committed");
    std::mem::forget(journal);
    drop(lock);
    fs::write(dir.path().join("a.md"), "old\n").unwrap();
    let pending = pending_in(state_home(), dir.path()).unwrap().expect("reported");
    assert!(pending.committed);
    let lock = self::lock(dir.path());
    let recovery = recover(&lock).unwrap().expect("a recovery");
    assert!(
        recovery.to_string().ends_with(
            "no file needed its new content; a.md still holds its content from before: its temporary file was removed before it could be renamed into place"
        ),
        "{recovery}"
    );
    assert_eq!(leftovers(&lock), Vec::<String>::new());
    drop(lock);

    // A temporary file still there means a rename is still to do: over the old content, done.
    let lock = self::lock(dir.path());
    let journal = died_after_preparing(&lock, &set_a_done());
    journal.mark_committed(lock.state_dir()).unwrap();
    drop(lock);
    assert!(pending_in(state_home(), dir.path()).unwrap().is_some(), "a temporary file is left");
    let lock = self::lock(dir.path());
    assert!(matches!(recover(&lock).unwrap(), Some(Recovery::Completed { .. })));
    assert_eq!(fs::read_to_string(dir.path().join("a.md")).unwrap(), "new\n");
    assert_eq!(leftovers(&lock), Vec::<String>::new());
}

#[test]
fn a_journal_under_a_held_lock_is_not_reported_as_interrupted() {
    let dir = workspace(&[("a.md", b"old\n")]);
    let lock = lock(dir.path());
    let prepared = set_a_done().prepare(&lock).expect("prepared");
    assert!(WorkspaceLock::is_held(lock.state_dir()), "the transaction under way holds it");
    assert_eq!(pending_in(state_home(), dir.path()).unwrap(), None, "under way, not interrupted");
    std::mem::forget(prepared); // as if the process died here
    let state_dir = lock.state_dir().to_path_buf();
    drop(lock);
    assert!(!WorkspaceLock::is_held(&state_dir), "released with its holder");
    let pending = pending_in(state_home(), dir.path()).unwrap().expect("the interrupted transaction");
    assert!(!pending.committed);
    assert_eq!(pending.label, "set 1 done");
}
