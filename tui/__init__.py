"""The Textual visual debugger (see SPEC section 8)."""
