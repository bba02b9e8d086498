;;; taskmark-test.el --- taskmark.el in a real Emacs, end to end  -*- lexical-binding: t -*-

;; emacs --batch -Q -L editors/emacs -l editors/emacs/test/taskmark-test.el WORKSPACE TASKMARK
;;
;; WORKSPACE is a git repository holding a copy of tests/fixtures/example; TASKMARK the binary.
;; Opens its TODO.md through Eglot, waits for taskmark's diagnostics in Flymake, applies a quick
;; fix from `eglot-code-actions', changes a status with `taskmark-set-status', and checks the
;; buffer and the files on disk. Prints `ok STEP' per step; exits 1 on the first failure.

;;; Code:

(require 'taskmark)
(require 'flymake)

(defvar taskmark-test-workspace (file-name-as-directory (expand-file-name (nth 0 command-line-args-left))))
(defvar taskmark-test-binary (expand-file-name (nth 1 command-line-args-left)))
(setq command-line-args-left nil)

(defun taskmark-test-fail (format-string &rest args)
  (princ (concat "FAILED: " (apply #'format format-string args) "\n") #'external-debugging-output)
  ;; What passed between Emacs and the server, for the reader of a failure.
  (let ((server (ignore-errors (eglot-current-server))))
    (when server
      (with-current-buffer (jsonrpc-events-buffer server)
        (princ (buffer-substring-no-properties (max (point-min) (- (point-max) 6000)) (point-max))
               #'external-debugging-output))))
  (kill-emacs 1))

(defun taskmark-test-wait (what seconds predicate)
  "Waits up to SECONDS for PREDICATE, serving the server's messages meanwhile."
  (let ((deadline (+ (float-time) seconds)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (taskmark-test-fail "timed out waiting for %s" what))
      (accept-process-output nil 0.05))))

(defun taskmark-test-ok (step)
  (princ (format "ok %s\n" step)))

(defun taskmark-test-file (relative)
  (with-temp-buffer
    (insert-file-contents (expand-file-name relative taskmark-test-workspace))
    (buffer-string)))

(setq taskmark-executable taskmark-test-binary)
(taskmark-setup)
(setq eglot-sync-connect t
      eglot-autoshutdown nil
      eglot-events-buffer-size 2000000)

;; 1. Open TODO.md and start the server the way `M-x eglot' would, from `eglot-server-programs'.
(find-file (expand-file-name "specs/TODO.md" taskmark-test-workspace))
(text-mode)
(let* ((contact (cdr (assoc taskmark-major-modes eglot-server-programs)))
       (project (project-current)))
  (unless contact (taskmark-test-fail "taskmark-setup registered nothing: %S" eglot-server-programs))
  (unless (equal (expand-file-name (project-root project)) taskmark-test-workspace)
    (taskmark-test-fail "the project root is %s" (project-root project)))
  ;; Standalone: the test's server is its own, not a daemon another test shares.
  (eglot '(text-mode) project 'eglot-lsp-server (append contact '("--standalone")) "markdown"))
(taskmark-test-wait "the server" 20 (lambda () (eglot-current-server)))
(taskmark-test-ok "taskmark-setup lets Eglot start taskmark lsp on the repository's root")

;; 2. Diagnostics: taskmark's own, in Flymake. (Flymake starts its backends on idle timers, which
;; a batch Emacs never runs: started here.)
(flymake-start)
(taskmark-test-wait "diagnostics" 30 (lambda () (flymake-start) (flymake-diagnostics)))
(let ((texts (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
  (unless (seq-find (lambda (it) (string-match-p "task_counts.not_started is 3" it)) texts)
    (taskmark-test-fail "no stale-counts diagnostic among %S" texts)))
(taskmark-test-ok "TODO.md's diagnostics show in Flymake")

;; 3. A quick fix, as `eglot-code-actions' offers it, applied to the buffer.
(goto-char (point-min))
(search-forward "not_started: 3")
(let* ((beg (- (point) 1))
       (actions (eglot-code-actions beg (point) "quickfix"))
       (fix (seq-find (lambda (it) (plist-get it :edit)) actions)))
  (unless fix (taskmark-test-fail "no quick fix with an edit at not_started: %S" actions))
  (eglot--apply-workspace-edit (plist-get fix :edit)))
(goto-char (point-min))
(unless (search-forward "not_started: 2" nil t)
  (taskmark-test-fail "the quick fix left %s" (buffer-substring (point-min) (min (point-max) 400))))
(save-buffer)
(taskmark-test-wait "the fixed counter's diagnostic to go" 20
                    (lambda () (flymake-start) (not (seq-find (lambda (it) (string-match-p "task_counts.not_started" (flymake-diagnostic-text it)))
                                              (flymake-diagnostics)))))
(taskmark-test-ok "a quick fix from eglot-code-actions edits the buffer and its diagnostic goes")

;; 4. A status change: the open buffer takes the edit, the other files are written.
(taskmark-set-status "14" "implementing")
;; Eglot reports a buffer's changes (didChange) on an idle timer, which a batch Emacs never
;; runs: flushed here as that timer would.
(taskmark-test-wait "the buffer's new Task Order line" 20
                    (lambda ()
                      (eglot--signal-textDocument/didChange)
                      (save-excursion (goto-char (point-min)) (search-forward "- **14** [IMPLEMENTING]" nil t))))
(taskmark-test-wait "state.json on disk" 20
                    (lambda () (string-match-p "\"project_number\": 14,[^}]*\"status\": \"implementing\""
                                               (taskmark-test-file "specs/state.json"))))
(taskmark-test-wait "the user's own confirmation setting back" 20
                    (lambda () (eq eglot-confirm-server-initiated-edits 'confirm)))
(taskmark-test-ok "taskmark-set-status changes the buffer and writes the other files")

(kill-emacs 0)
;;; taskmark-test.el ends here
