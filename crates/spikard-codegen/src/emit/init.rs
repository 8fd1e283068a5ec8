//! `spikard init`: a new project.
