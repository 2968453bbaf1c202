//! How a command fails: one error kind per exit status of docs/cli.md, a hint
//! saying what to do next, and the cause chain kept, printed in one place.

/// The exit statuses (docs/cli.md): 0 is success, and every failure is one
/// of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Exit 1: the command could not do its work (every feed failed, the data
    /// directory cannot be written, nothing matched...).
    Failed,
    /// Exit 2: bad usage, or the rules file is invalid.
    Usage,
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
        }
    }
}

/// A command that could not do its work: what failed, why, and what to do.
#[derive(Debug)]
pub struct Failure {
    pub kind: ErrorKind,
    pub error: anyhow::Error,
    pub hint: Option<String>,
    /// Already printed in full (rules diagnostics): print nothing more than the hint.
    pub preformatted: bool,
}

impl Failure {
    /// Exit 2: bad usage.
    pub fn usage(msg: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Usage,
            error: anyhow::anyhow!(msg.into()),
            hint: None,
            preformatted: false,
        }
    }

    /// Exit 1: the command could not do its work.
    pub fn failed(msg: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Failed,
            error: anyhow::anyhow!(msg.into()),
            hint: None,
            preformatted: false,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure {
            kind: ErrorKind::Failed,
            error,
            hint: None,
            preformatted: false,
        }
    }
}

impl From<crate::rules::RulesError> for Failure {
    fn from(e: crate::rules::RulesError) -> Failure {
        let missing = e.is_missing_file();
        let invalid = matches!(e, crate::rules::RulesError::Invalid { .. });
        let not_text = matches!(e, crate::rules::RulesError::NotUtf8 { .. });
        let too_large = matches!(e, crate::rules::RulesError::TooLarge { .. });
        let mut f = Failure {
            kind: ErrorKind::Usage,
            error: anyhow::Error::new(e),
            hint: None,
            preformatted: invalid,
        };
        if missing {
            f.hint = Some(
                "run `basket init` to write an annotated example there, or pass --rules PATH"
                    .into(),
            );
        } else if not_text {
            f.hint = Some(
                "save the rules as UTF-8 text, or pass --rules PATH if this is not your rules file"
                    .into(),
            );
        } else if too_large {
            f.hint = Some("pass --rules PATH if this is not your rules file".into());
        }
        f
    }
}

impl From<crate::lock::LockError> for Failure {
    fn from(e: crate::lock::LockError) -> Failure {
        let held = matches!(e, crate::lock::LockError::Held { .. });
        Failure {
            kind: ErrorKind::Failed,
            error: anyhow::Error::new(e),
            hint: Some(if held {
                "wait for it to finish, or pass --wait to queue behind it".into()
            } else {
                "check that the data directory is writable, or pass --data-dir DIR".into()
            }),
            preformatted: false,
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        use crate::store::StoreError;
        // Only where writing is what failed: a garbage or newer basket.db is
        // perfectly writable, and its message already says what to do.
        let hint = match e {
            StoreError::CreateDir { .. } | StoreError::Open { .. } | StoreError::Sqlite { .. } => {
                Some("check that the data directory is writable, or pass --data-dir DIR".into())
            }
            _ => None,
        };
        Failure {
            kind: ErrorKind::Failed,
            error: anyhow::Error::new(e),
            hint,
            preformatted: false,
        }
    }
}

impl From<crate::rules::edit::EditError> for Failure {
    fn from(e: crate::rules::edit::EditError) -> Failure {
        use crate::rules::edit::EditError;
        let hint = match &e {
            EditError::Missing(_) => "run `basket init` first, or pass --rules PATH".to_string(),
            EditError::NotToml { .. } => {
                "fix the file (`basket rules check` shows where), then run this again".into()
            }
            EditError::NameInUse { .. } => "choose another name".into(),
            EditError::ReadOnly { .. } => {
                "make it writable (chmod u+w), or pass --rules PATH".into()
            }
            EditError::Invalid(_) => {
                "fix the problems above (`basket rules check`), then run this again".into()
            }
            EditError::Read { .. } | EditError::Write { .. } => {
                "check the file's permissions, or pass --rules PATH".into()
            }
        };
        let kind = match &e {
            EditError::NameInUse { .. } | EditError::NotToml { .. } | EditError::Invalid(_) => {
                ErrorKind::Usage
            }
            _ => ErrorKind::Failed,
        };
        Failure {
            kind,
            error: anyhow::Error::new(e),
            hint: Some(hint),
            preformatted: false,
        }
    }
}

pub type CmdResult = Result<(), Failure>;

/// Prints the failure on stderr: the message, its causes, the hint.
pub fn report(f: &Failure) {
    if f.preformatted {
        eprintln!("{}", f.error);
    } else {
        eprintln!("error: {}", f.error);
        for cause in f.error.chain().skip(1) {
            eprintln!("caused by: {cause}");
        }
    }
    if let Some(h) = &f.hint {
        eprintln!("hint: {h}");
    }
}

/// `basket list | head` closing the pipe early is not a failure.
/// serde_json wraps the writer's error in its own, so JSON output is checked
/// through it too (`basket check --format json | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) == broken
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}
