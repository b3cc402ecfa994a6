//! Tools waiting on this window for a code: a `credential-process` with no live session asked it
//! (over [`crate::ipc`]) to come forward with the profile chosen. Each is answered once: when a
//! session of that name is signed in, or when the user cancels (the tool then fails).

use crate::message::{Command, Outbox, RequestId, ToolReply};

/// One tool's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolAsk {
    pub id: RequestId,
    /// The profile it needs a session for (the session's name).
    pub profile: String,
    /// Who it is ("aws s3 ls (pid 4242)").
    pub asker: String,
}

#[derive(Debug, Default)]
pub struct ToolAsks {
    pub list: Vec<ToolAsk>,
    /// The window is to come forward (taken by the app, which tells the window manager).
    pub raise: bool,
}

impl ToolAsks {
    pub fn wanted(&mut self, ask: ToolAsk) {
        self.list.push(ask);
        self.raise = true;
    }

    pub fn gone(&mut self, id: RequestId) {
        self.list.retain(|a| a.id != id);
    }

    /// A session named `name` is signed in (and, when `kept`, in the keyring): the tools that
    /// wanted it are answered. Without the keyring they cannot read it, so they are told no.
    pub fn signed_in(&mut self, name: &str, kept: bool, out: &mut Outbox) {
        let reply = if kept {
            ToolReply::SignedIn
        } else {
            ToolReply::Cancelled
        };
        self.answer(|a| a.profile == name, reply, out);
    }

    /// The user said no: every waiting tool fails.
    pub fn cancel(&mut self, out: &mut Outbox) {
        self.answer(|_| true, ToolReply::Cancelled, out);
    }

    fn answer(&mut self, which: impl Fn(&ToolAsk) -> bool, reply: ToolReply, out: &mut Outbox) {
        let (answered, kept) = std::mem::take(&mut self.list).into_iter().partition(which);
        self.list = kept;
        for ask in answered {
            out.send(Command::AnswerTool { id: ask.id, reply });
        }
    }
}
