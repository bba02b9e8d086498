;;; taskmark.el --- taskmark's language server in Emacs, through Eglot  -*- lexical-binding: t -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages, outlines
;; SPDX-License-Identifier: MIT OR Apache-2.0

;;; Commentary:

;; taskmark keeps markdown task trackers honest (TODO.md, plans, spec folders, tasks.json and
;; state.json mirrors).  This file registers `taskmark lsp' with Eglot for markdown and JSON
;; buffers and adds `taskmark-set-status', which changes a task's status in every file that
;; states it (the open buffers get the edit, the other files are written by the server).
;;
;;   (add-to-list 'load-path "/path/to/taskmark/editors/emacs")
;;   (require 'taskmark)
;;   (taskmark-setup)                       ; then M-x eglot in a tracker file
;;   (add-hook 'markdown-mode-hook #'eglot-ensure)   ; or start it for every markdown buffer
;;
;; Diagnostics come through Flymake, fixes through `eglot-code-actions', a task's places across
;; files through the hover (ElDoc).  The root is the project's (the repository), as
;; `taskmark check' chooses it.

;;; Code:

(require 'eglot)
(require 'jsonrpc)

(defgroup taskmark nil
  "taskmark's language server for markdown task trackers."
  :group 'tools
  :prefix "taskmark-")

(defcustom taskmark-executable "taskmark"
  "The taskmark executable: a name on `exec-path' or a file name."
  :type 'string)

(defcustom taskmark-major-modes '(markdown-mode gfm-mode text-mode js-json-mode json-mode)
  "Major modes of the buffers taskmark serves (trackers are markdown and JSON files)."
  :type '(repeat symbol))

;;;###autoload
(defun taskmark-setup ()
  "Register `taskmark lsp' with Eglot for `taskmark-major-modes'."
  (add-to-list 'eglot-server-programs
               (cons taskmark-major-modes (list taskmark-executable "lsp"))))

(defun taskmark--command (command &rest arguments)
  "Run taskmark's COMMAND (a string) with ARGUMENTS (plists) and return its answer."
  (jsonrpc-request (eglot--current-server-or-lose) :workspace/executeCommand
                   (list :command command :arguments (vconcat arguments))))

(defun taskmark--task-at-point ()
  "The task under point, as taskmark names it, or nil."
  (let ((answer (taskmark--command
                 "taskmark.taskAt"
                 (list :uri (eglot--path-to-uri (buffer-file-name))
                       :position (eglot--pos-to-lsp-position (point))))))
    (and answer (plist-get answer :task))))

(defun taskmark--read-task ()
  "Ask for a task, the one under point first."
  (let* ((here (ignore-errors (taskmark--task-at-point)))
         (tasks (append (taskmark--command "taskmark.listTasks" eglot--{}) nil))
         (names (mapcar (lambda (task)
                          (format "%s %s" (plist-get task :task) (or (plist-get task :title) "")))
                        tasks))
         (chosen (completing-read "Task: " names nil nil nil nil
                                  (and here (seq-find (lambda (it) (string-prefix-p (concat here " ") it)) names)))))
    (car (split-string chosen " "))))

(defun taskmark--read-status (task)
  "Ask for a status of TASK among the ones its vocabulary allows next."
  (let* ((info (taskmark--command "taskmark.taskInfo" (list :task task)))
         (choices (seq-filter (lambda (it) (eq (plist-get it :allowed) t))
                              (append (plist-get info :choices) nil)))
         (names (mapcar (lambda (it) (plist-get it :display)) choices))
         (chosen (completing-read (format "Set task %s (%s) to: " task (plist-get info :status)) names nil t)))
    (plist-get (seq-find (lambda (it) (equal (plist-get it :display) chosen)) choices) :status)))

;;;###autoload
(defun taskmark-set-status (task status)
  "Set TASK's STATUS in every file that states it, through the taskmark server.
The request is asynchronous: the server edits the open buffers with workspace/applyEdit and
waits until each holds its edit, which Eglot reports (didChange) only once Emacs is idle."
  (interactive (let ((task (taskmark--read-task))) (list task (taskmark--read-status task))))
  (let ((server (eglot--current-server-or-lose))
        (confirm eglot-confirm-server-initiated-edits))
    ;; The user chose the change just now: Eglot does not ask again whether to apply the edit
    ;; the server sends for it (the setting is the user's again once the answer is in).
    (setq eglot-confirm-server-initiated-edits nil)
    (jsonrpc-async-request
     server :workspace/executeCommand
     (list :command "taskmark.setStatus" :arguments (vector (list :task task :status status)))
     :success-fn (lambda (answer)
                   (setq eglot-confirm-server-initiated-edits confirm)
                   (message "%s" (or (plist-get answer :label) (format "task %s: %s" task status))))
     :error-fn (lambda (error)
                 (setq eglot-confirm-server-initiated-edits confirm)
                 (message "taskmark: %s" (or (plist-get error :message) error)))
     :timeout-fn (lambda ()
                   (setq eglot-confirm-server-initiated-edits confirm)
                   (message "taskmark: no answer to the status change")))))

(provide 'taskmark)
;;; taskmark.el ends here
